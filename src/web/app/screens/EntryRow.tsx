// One of your own entries: what, how long, its status (with the rejection reason), and Edit /
// Delete while it is not approved. Delete asks for confirmation in place.
import { useEffect, useRef, useState } from 'react';
import { CHANGEABLE_STATUSES } from '../../../domain/entries.ts';
import type { Entry } from '../api/timesheets.ts';
import { formatHours } from '../ui/format.ts';
import { navigate } from '../ui/router.tsx';
import { StatusBadge } from '../ui/StatusBadge.tsx';

export interface EntryRowProps {
  readonly entry: Entry;
  readonly canEdit: boolean;
  readonly canDelete: boolean;
  readonly onDelete: (entry: Entry) => Promise<void>;
}

export function EntryRow({ entry, canEdit, canDelete, onDelete }: EntryRowProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const changeable = CHANGEABLE_STATUSES.includes(entry.status);

  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const cancel = () => {
    setConfirming(false);
    requestAnimationFrame(() => deleteRef.current?.focus());
  };
  const confirmDelete = async () => {
    setBusy(true);
    try {
      await onDelete(entry);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <li className={`entry entry-${entry.status}`}>
      <div className="entry-body">
        <p className="entry-title">
          <span className="entry-project">{entry.project}</span>
          <span className="entry-hours">{formatHours(entry.hours)}</span>
        </p>
        {entry.notes && <p className="entry-notes">{entry.notes}</p>}
        {entry.status === 'rejected' && entry.rejection_reason && (
          <p className="entry-reason">
            <span className="entry-reason-label">Reason:</span> {entry.rejection_reason}
          </p>
        )}
      </div>
      <div className="entry-side">
        <StatusBadge status={entry.status} />
        {changeable && !confirming && (canEdit || canDelete) && (
          <div className="entry-actions">
            {canEdit && (
              <button type="button" className="button button-small" onClick={() => navigate(`/timesheets/${entry.id}/edit`)}>
                Edit
              </button>
            )}
            {canDelete && (
              <button type="button" className="button button-small button-danger" ref={deleteRef} onClick={() => setConfirming(true)}>
                Delete
              </button>
            )}
          </div>
        )}
      </div>
      {confirming && (
        <div className="entry-confirm" role="group" aria-label="Confirm deletion" onKeyDown={(event) => event.key === 'Escape' && cancel()}>
          <p>Delete this entry? This cannot be undone.</p>
          <div className="entry-actions">
            <button type="button" className="button button-small button-danger-solid" disabled={busy} onClick={() => void confirmDelete()}>
              Delete
            </button>
            <button type="button" className="button button-small" ref={cancelRef} disabled={busy} onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </li>
  );
}
