-- Who did what, when and from where: every admin change (console, API,
-- CLI) and the security events (sign-ins, lock-outs, reuse of codes and
-- refresh tokens, logouts, revocations). Rows are only ever added; the
-- detail is a JSON object whose keys depend on the action.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    address TEXT,
    detail TEXT NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_action_at ON audit_events (action, at);
