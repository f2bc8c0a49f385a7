-- SPDX-License-Identifier: MIT
-- Retention (core/storage/retention.cpp) purges by age: inbound_messages gets the time each
-- message was first seen (rows already there count as seen now), and each purge rule gets an
-- index on the age it reads, so a batch finds its rows without scanning the table.
CREATE TABLE inbound_messages_new (
    email_account_id INTEGER NOT NULL,
    message_id       TEXT NOT NULL,
    seen_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (email_account_id, message_id)
);
INSERT INTO inbound_messages_new (email_account_id, message_id)
    SELECT email_account_id, message_id FROM inbound_messages;
DROP TABLE inbound_messages;
ALTER TABLE inbound_messages_new RENAME TO inbound_messages;
CREATE INDEX idx_inbound_messages_seen ON inbound_messages (seen_at);

CREATE INDEX idx_tracked_emails_retention ON tracked_emails (COALESCE(status_changed_at, updated_at))
    WHERE tracking_status <> 'active';
CREATE INDEX idx_webhook_jobs_finished ON webhook_jobs (finished_at) WHERE state IN ('done', 'dead');
CREATE INDEX idx_pending_replies_received ON pending_replies (received_at);
CREATE INDEX idx_mail_source_messages_stored ON mail_source_messages (stored_at);
CREATE INDEX idx_webhook_jobs_resource ON webhook_jobs (account, resource_id)
    WHERE state IN ('queued', 'retry', 'running');
