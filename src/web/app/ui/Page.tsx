// A screen's frame: its title (also the document's), heading, subtitle and main actions. After
// an in-app navigation the heading takes the focus, so keyboard and screen-reader users start at
// the top of the new screen.
import { useEffect, useRef, type ReactNode } from 'react';
import { navigatedInApp } from './router.tsx';

export function Page(props: { title: string; heading?: ReactNode; subtitle?: ReactNode; actions?: ReactNode; children?: ReactNode }) {
  const { title, heading = title, subtitle, actions, children } = props;
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${title} · ABC Timesheets`;
  }, [title]);
  useEffect(() => {
    if (navigatedInApp()) headingRef.current?.focus({ preventScroll: true });
  }, []);

  return (
    <div className="page">
      <header className="page-header">
        <div className="page-heading">
          <h1 ref={headingRef} tabIndex={-1}>
            {heading}
          </h1>
          {subtitle && <p className="page-subtitle">{subtitle}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </div>
  );
}
