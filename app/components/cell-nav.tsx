import { NavLink } from '@remix-run/react'

/** The cell's sub-navigation; entries mirror what the charter policy allows this member. */
export function CellNav({
  cellId,
  cellName,
  allowed,
  reloadDocument = false,
}: {
  cellId: string
  cellName: string
  allowed: { members: boolean; charter: boolean; roster: boolean; journal?: boolean }
  /** From an error page, links load a whole document (see GeneralErrorBoundary). */
  reloadDocument?: boolean
}) {
  const items = [
    { to: `/cellules/${cellId}`, label: 'Accueil de la cellule', show: true, end: true },
    { to: `/cellules/${cellId}/membres`, label: 'Membres', show: allowed.members, end: false },
    { to: `/cellules/${cellId}/charte`, label: 'Charte', show: allowed.charter, end: false },
    { to: `/cellules/${cellId}/registre`, label: 'Registre et signatures', show: allowed.roster, end: false },
    { to: `/cellules/${cellId}/journal`, label: 'Journal d’accès', show: Boolean(allowed.journal), end: false },
  ].filter(item => item.show)
  return (
    <nav className="fr-mb-4w" aria-label={`Navigation de la cellule ${cellName}`}>
      <p className="fr-text--sm fr-mb-1v">{cellName}</p>
      <ul className="fr-btns-group fr-btns-group--inline-sm">
        {items.map(item => (
          <li key={item.to}>
            <NavLink to={item.to} end={item.end} reloadDocument={reloadDocument} className={({ isActive }) => `fr-btn fr-btn--sm ${isActive ? '' : 'fr-btn--tertiary'}`}>
              {({ isActive }) => (
                <span aria-current={isActive ? 'page' : undefined}>{item.label}</span>
              )}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  )
}
