import { type Charter, type CharterRules, charterRulesSchema, charterSchema } from './schema.ts'

/** The legal floor itself: every rule at its loosest lawful value. A cell may tighten from here. */
export const DEFAULT_RULES: CharterRules = charterRulesSchema.parse({})

const rules = DEFAULT_RULES

// Modelled on the Sevran cell (DESIGN §1) and DESIGN §9; sources in research/legal-fr.md.
const SECTIONS: Charter['sections'] = [
  {
    id: 'objet-et-composition',
    title: 'Objet et composition de la cellule',
    body: `La cellule de prévention de la maltraitance des adultes réunit des professionnels du territoire pour examiner ensemble des situations d'adultes en situation de vulnérabilité qui posent question, et proposer des orientations.

La maltraitance s'entend au sens de l'article L119-1 du code de l'action sociale et des familles : « un geste, une parole, une action ou un défaut d'action » qui « compromet ou porte atteinte » au développement, aux droits, aux besoins fondamentaux ou à la santé d'une personne en situation de vulnérabilité, dans une relation de confiance, de dépendance, de soin ou d'accompagnement.

La cellule est animée par un coordinateur ou une coordinatrice, en principe le médecin de la ville chargé de la santé et de la prévention. Elle peut réunir notamment :

- les assistants de service social du Département et de la caisse d'assurance maladie ;
- les services de soins infirmiers à domicile (SSIAD) ;
- l'Atelier santé-ville ;
- le secteur de psychiatrie ;
- les médecins libéraux qui saisissent la cellule, pour la situation qu'ils ont adressée.

La cellule n'est pas un service d'urgence. En cas de danger immédiat, appelez le 15 (SAMU), le 17 (police ou gendarmerie) ou le 112 ; le 3977 conseille les victimes, les proches et les professionnels (art. 223-6 du code pénal).`,
  },
  {
    id: 'secret-partage',
    title: 'Secret partagé et professionnels concernés',
    body: `Chaque membre reste tenu au secret professionnel dans les conditions de l'article 226-13 du code pénal et de l'article L1110-4 du code de la santé publique. L'expression « secret partagé » désigne ici l'échange et le partage d'informations que la loi autorise entre professionnels : elle ne crée aucune dérogation nouvelle.

Seuls peuvent échanger ou partager des informations nominatives les professionnels énumérés à l'article R1110-2 du code de la santé publique :

- 1° les professionnels de santé de la quatrième partie du code de la santé publique, quel que soit leur mode d'exercice ;
- 2° les professionnels du social et du médico-social listés aux a) et suivants (assistants de service social, psychologues, mandataires judiciaires à la protection des majeurs, salariés des établissements et services sociaux et médico-sociaux, etc.).

Les participants qui ne relèvent pas de cette liste (par exemple un coordinateur d'Atelier santé-ville qui n'est pas salarié d'un établissement social ou médico-social, ou un élu) sont membres associés : ils ne voient que des présentations pseudonymisées.

Seules sont échangées les informations strictement nécessaires à la prévention, à la coordination ou au suivi social et médico-social de la personne, dans le périmètre des missions de chacun (art. R1110-1 du code de la santé publique).`,
  },
  {
    id: 'base-legale',
    title: 'Base légale du partage',
    body: `Aucune information nominative n'est échangée sans qu'une base légale soit enregistrée pour la situation (art. L1110-4 II à IV et D1110-3-1 du code de la santé publique). Trois bases sont possibles :

- **A. Information et non-opposition** : la personne a été informée au préalable de la nature des informations échangées et des professionnels destinataires, et ne s'y est pas opposée ; l'échange a lieu entre professionnels qui participent tous à sa prise en charge (art. L1110-4 II et R1110-3 I).
- **B. Consentement** : la personne a consenti au préalable au partage, après avoir été informée des catégories d'informations partagées, des catégories de professionnels qui en auront connaissance, des supports utilisés et des mesures de sécurité (art. L1110-4 III et D1110-3-1). Le consentement enregistré reprend ces éléments.
- **C. Signalement** : la situation relève d'un signalement aux autorités compétentes, permis par l'article 226-14 du code pénal ou prévu par l'article L119-2 du code de l'action sociale et des familles.

Sans base légale, la situation n'est présentée que sous une forme pseudonymisée.

La personne peut s'opposer au partage ou retirer son consentement à tout moment (art. L1110-4 IV). L'accès nominatif de tous les membres est alors retiré immédiatement.

Lorsque la personne est hors d'état d'exprimer sa volonté, seule l'urgence ou l'impossibilité de l'informer dispense de l'information préalable ; cette exception est justifiée par écrit et la personne est informée dès que son état le permet (art. R1110-3 III).`,
  },
  {
    id: 'besoin-den-connaitre',
    title: "Besoin d'en connaître et participants",
    body: `Être membre de la cellule ne suffit pas pour lire les informations nominatives d'une situation. Seuls les participants de la situation y ont accès : les membres rattachés à la situation parce qu'ils participent à la prise en charge de la personne (art. L1110-4 II et R1110-1 du code de la santé publique).

Le rattachement d'un participant est décidé par la coordination, justifié et enregistré dans le journal des accès. Les habilitations sont documentées (CNIL, référentiel social et médico-social, délibération 2021-028).

Lors des réunions, les situations sont désignées par un code aléatoire, jamais par des initiales.`,
  },
  {
    id: 'section-medicale',
    title: 'Section médicale',
    body: `Les informations médicales d'une situation sont regroupées dans une section médicale, lisible uniquement par les professionnels de santé parmi les participants de la situation (art. R1110-2 1° et R1110-3 II du code de la santé publique).

Aucun champ n'oblige à saisir des antécédents médicaux : seules les informations strictement nécessaires sont enregistrées (art. R1110-1).`,
  },
  {
    id: 'typologie',
    title: 'Typologie des situations',
    body: `Les situations sont qualifiées avec le vocabulaire de la démarche nationale de consensus de 2021, repris à l'article L119-1 du code de l'action sociale et des familles. Une situation peut relever de plusieurs formes :

1. maltraitance physique ;
2. maltraitance sexuelle ;
3. maltraitance psychologique ;
4. maltraitance matérielle et financière ;
5. négligences, abandons et privations ;
6. discriminations ;
7. exposition à un environnement violent.

Sont également précisées la durée (ponctuelle ou durable), l'intention (intentionnelle ou non) et l'origine (individuelle, collective ou institutionnelle).`,
  },
  {
    id: 'auteur-presume',
    title: 'Personne mise en cause',
    body: `Aucun champ n'oblige à nommer un auteur présumé. L'article 226-14 du code pénal permet de signaler des violences ou des privations, non de désigner leur auteur (commentaire de l'article R4127-44 du code de la santé publique par le Conseil national de l'ordre des médecins).

Si une personne mise en cause est mentionnée, cette information est réservée, exclue des exports, des statistiques et du retour au saisissant. Les écrits distinguent les faits constatés, les faits rapportés (entre guillemets) et les hypothèses (au conditionnel).`,
  },
  {
    id: 'propositions',
    title: 'La cellule propose, elle ne décide pas',
    body: `La cellule est une instance de concertation : elle formule des propositions d'orientation. Chaque professionnel ou institution agit ensuite au titre de sa compétence propre (avis du Conseil supérieur du travail social, 2013).

Chaque orientation nomme le professionnel ou l'institution qui la met en œuvre et une date de suivi. Les propositions sont présentées à la personne pour recueillir son accord.`,
  },
  {
    id: 'releve-de-propositions',
    title: 'Relevé de propositions',
    body: `Seul le relevé de propositions est conservé après une réunion. Les notes prises en séance, les brouillons et les documents de travail sont effacés à la clôture de la réunion (avis du Conseil supérieur du travail social, 2013 : « seul est retenu un relevé final de décision ou de proposition »).

Chaque participant à une réunion s'engage en début de séance à respecter la confidentialité des échanges.`,
  },
  {
    id: 'retour-au-saisissant',
    title: 'Retour au saisissant',
    body: `Le professionnel qui a saisi la cellule reçoit un retour dans un délai de ${rules.feedbackDeadlineDays} jours après l'examen de la situation. Ce retour se limite aux orientations proposées : il ne rapporte ni la discussion, ni les informations apportées par les autres membres, ni l'identité d'une personne mise en cause (art. L1110-4 du code de la santé publique).

Le retour est transmis par le canal chiffré de la plateforme ; seul le détenteur du code de réponse remis lors de la saisine peut le lire.`,
  },
  {
    id: 'bris-de-glace',
    title: 'Accès en urgence (bris de glace)',
    body: `En cas d'urgence, un membre soumis au secret qui n'est pas participant d'une situation peut en ouvrir le contenu nominatif, pour ${rules.breakGlassMaxMinutes} minutes au plus, en saisissant une justification. La coordination est alertée immédiatement et le DPO examine chaque accès de ce type (RGPD art. 32 ; CNIL, délibération 2021-122).

L'accès en urgence reste impossible si la personne s'est opposée au partage ou si aucune base légale n'est enregistrée.`,
  },
  {
    id: 'conservation-et-effacement',
    title: 'Conservation et effacement',
    body: `Les données nominatives d'une situation sont effacées ${rules.nominativeRetentionMonths} mois après la dernière activité, sauf décision justifiée par écrit de les archiver (CNIL, référentiel des durées de conservation du secteur social et médico-social, délibération 2023-095 ; RGPD art. 5.1.e). L'effacement détruit les clés de chiffrement, ce qui rend le contenu illisible, y compris dans les sauvegardes.

Le détail du journal des accès est conservé ${rules.auditDetailRetentionMonths} mois ; les preuves d'intégrité du journal, qui ne contiennent aucune donnée nominative, sont conservées plus longtemps (CNIL, délibération 2021-122).

Lorsque la cellule relève d'une collectivité publique, l'élimination définitive suit les règles des archives publiques (code du patrimoine). Chaque effacement est lui-même journalisé.`,
  },
  {
    id: 'exports-et-statistiques',
    title: 'Exports et statistiques',
    body: `L'export en masse de données nominatives est interdit. Un export porte sur une seule situation : il est marqué au nom de son auteur, daté et journalisé (RGPD art. 5.1.c et 32).

Les statistiques transmises au comité de pilotage ne contiennent aucune donnée directement ou indirectement identifiante : tout effectif inférieur à ${rules.smallCountThreshold} est masqué.`,
  },
  {
    id: 'authentification-et-habilitations',
    title: 'Double authentification et revue des habilitations',
    body: `Chaque connexion exige une double authentification (référentiel d'identification électronique, arrêté du 28 mars 2022, rendu opposable par l'article L1470-5 du code de la santé publique). Une session est fermée après ${rules.idleTimeoutMinutes} minutes d'inactivité et, en tout état de cause, après ${rules.absoluteSessionHours} heures.

La coordination revoit les habilitations des membres au moins tous les ${rules.habilitationReviewMonths} mois : rôle, profession, rattachement aux situations (CNIL, délibération 2021-028). Un membre qui quitte ses fonctions est retiré de la cellule sans délai ; ses sessions sont fermées et les clés de la cellule sont renouvelées.`,
  },
  {
    id: 'journal-et-dpo',
    title: 'Journal des accès et délégué à la protection des données',
    body: `Chaque consultation, création, modification, export ou effacement est inscrit dans un journal des accès infalsifiable : auteur, date et heure, nature de l'opération, situation concernée (CNIL, délibération 2021-122 ; RGPD art. 32).

Le délégué à la protection des données (DPO) de la cellule consulte ce journal, les membres, leurs rôles et les signatures de la charte. Il n'a accès à aucun contenu de situation ni à aucune clé (RGPD art. 38 et 39). Il analyse les accès inhabituels : lectures en masse, accès hors des heures habituelles, accès en urgence, accès à des situations sans rattachement.

Pour exercer vos droits ou signaler un incident, contactez le DPO de la cellule.`,
  },
  {
    id: 'signature-et-versions',
    title: 'Signature et nouvelles versions',
    body: `Chaque membre signe la charte avant d'accéder aux situations. La signature est faite par la clé personnelle du membre sur l'empreinte de la version signée ; elle peut être vérifiée par tout membre de la cellule.

La coordination peut publier une nouvelle version : adapter le texte, rendre les règles plus strictes ou revenir sur un choix antérieur, sans jamais descendre sous le socle légal rappelé dans cette charte. Dès la publication, l'accès aux situations est suspendu pour chaque membre jusqu'à ce qu'il ait signé la nouvelle version ; les modifications depuis la version qu'il avait signée lui sont présentées (avis du Conseil supérieur du travail social, 2013 ; art. L1110-4 du code de la santé publique).`,
  },
]

export const DEFAULT_CHARTER: Charter = charterSchema.parse({
  format: 1,
  version: 1,
  title: 'Charte de fonctionnement de la cellule de prévention de la maltraitance des adultes',
  preamble: `La présente charte fixe les règles de fonctionnement de la cellule et les garanties qu'elle apporte aux personnes dont la situation est examinée. Chaque membre la signe avant d'accéder aux situations et s'engage à la respecter.

Les règles marquées comme légales traduisent des obligations du code de la santé publique, du code de l'action sociale et des familles, du code pénal, du RGPD et des recommandations de la CNIL : la cellule peut les rendre plus strictes, jamais les assouplir. La plateforme les applique automatiquement.`,
  sections: SECTIONS,
  rules: DEFAULT_RULES,
})
