/**
 * Professions offered at registration, with their place in CSP R1110-2 (who may exchange and share
 * information under professional secrecy) and the national identifier they carry.
 * 1° health professionals of the 4th part of the CSP; 2° the social and medico-social professionals
 * listed in a) to h); anything else has no nominative access (pseudonymised views only).
 */
export type SecrecyCategory = 'health' | 'social' | 'none'
export type ProfessionalIdentifier = 'rpps' | 'adeli' | 'rpps_or_adeli' | null

export type Profession = {
  code: string
  label: string
  category: SecrecyCategory
  identifier: ProfessionalIdentifier
}

export const PROFESSIONS = [
  { code: 'medecin', label: 'Médecin', category: 'health', identifier: 'rpps' },
  { code: 'chirurgien_dentiste', label: 'Chirurgien-dentiste', category: 'health', identifier: 'rpps' },
  { code: 'sage_femme', label: 'Sage-femme', category: 'health', identifier: 'rpps' },
  { code: 'pharmacien', label: 'Pharmacien', category: 'health', identifier: 'rpps' },
  { code: 'infirmier', label: 'Infirmier ou infirmière', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'masseur_kinesitherapeute', label: 'Masseur-kinésithérapeute', category: 'health', identifier: 'rpps' },
  { code: 'pedicure_podologue', label: 'Pédicure-podologue', category: 'health', identifier: 'rpps' },
  { code: 'ergotherapeute', label: 'Ergothérapeute', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'psychomotricien', label: 'Psychomotricien ou psychomotricienne', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'orthophoniste', label: 'Orthophoniste', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'orthoptiste', label: 'Orthoptiste', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'dieteticien', label: 'Diététicien ou diététicienne', category: 'health', identifier: 'rpps_or_adeli' },
  { code: 'aide_soignant', label: 'Aide-soignant ou aide-soignante', category: 'health', identifier: null },
  { code: 'auxiliaire_puericulture', label: 'Auxiliaire de puériculture', category: 'health', identifier: null },
  { code: 'ambulancier', label: 'Ambulancier ou ambulancière', category: 'health', identifier: null },
  { code: 'assistant_service_social', label: 'Assistant ou assistante de service social', category: 'social', identifier: 'adeli' },
  { code: 'psychologue', label: 'Psychologue', category: 'social', identifier: 'adeli' },
  { code: 'psychotherapeute', label: 'Psychothérapeute', category: 'social', identifier: 'adeli' },
  { code: 'osteopathe', label: 'Ostéopathe', category: 'social', identifier: 'adeli' },
  { code: 'chiropracteur', label: 'Chiropracteur', category: 'social', identifier: 'adeli' },
  { code: 'aide_medico_psychologique', label: 'Aide médico-psychologique ou accompagnant éducatif et social', category: 'social', identifier: null },
  { code: 'educateur_specialise', label: 'Éducateur ou éducatrice spécialisé(e), moniteur-éducateur', category: 'social', identifier: null },
  { code: 'conseiller_esf', label: 'Conseiller ou conseillère en économie sociale et familiale', category: 'social', identifier: null },
  { code: 'technicien_intervention_sociale', label: "Technicien ou technicienne de l'intervention sociale et familiale", category: 'social', identifier: null },
  { code: 'mandataire_protection_majeurs', label: 'Mandataire judiciaire à la protection des majeurs', category: 'social', identifier: null },
  { code: 'salarie_essms', label: "Salarié(e) non soignant(e) d'un établissement ou service social ou médico-social", category: 'social', identifier: null },
  { code: 'coordinateur_dac', label: "Professionnel(le) d'un dispositif d'appui à la coordination (DAC)", category: 'social', identifier: null },
  { code: 'autre', label: 'Autre profession (sans accès nominatif)', category: 'none', identifier: null },
] as const satisfies readonly Profession[]

export type ProfessionCode = (typeof PROFESSIONS)[number]['code']

export const PROFESSION_CODES = PROFESSIONS.map(profession => profession.code) as [ProfessionCode, ...ProfessionCode[]]

export function findProfession(code: string): Profession | undefined {
  return PROFESSIONS.find(profession => profession.code === code)
}

/** RPPS: 11 digits whose Luhn checksum over all 11 is valid (10001234565 valid, 10001234567 not). */
export function isValidRpps(value: string): boolean {
  if (!/^\d{11}$/.test(value)) return false
  let sum = 0
  for (let index = 0; index < 11; index++) {
    let digit = Number(value[10 - index])
    if (index % 2 === 1) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return sum % 10 === 0
}

/** ADELI: 9 digits. */
export function isValidAdeli(value: string): boolean {
  return /^\d{9}$/.test(value)
}
