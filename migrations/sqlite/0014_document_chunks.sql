-- Document files are kept in chunks of at most 1 MiB, so a file of any size is written and
-- served a chunk at a time (docs/formats/objects.md); the content row keeps the size. The
-- objects register also records the information-security attestation the Law on
-- Informatization requires for state systems.
CREATE TABLE document_chunks (
    sha256 TEXT NOT NULL REFERENCES document_contents(sha256),
    seq    INTEGER NOT NULL CHECK (seq >= 0),
    bytes  BLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
);
ALTER TABLE document_contents ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE document_contents SET size_bytes = length(content);
-- Files stored so far are cut into chunks of 1 MiB (an empty file keeps one empty chunk).
INSERT INTO document_chunks (sha256, seq, bytes)
WITH RECURSIVE parts(sha256, seq) AS (
    SELECT sha256, 0 FROM document_contents
    UNION ALL
    SELECT p.sha256, p.seq + 1
    FROM parts p JOIN document_contents c ON c.sha256 = p.sha256
    WHERE (p.seq + 1) * 1048576 < length(c.content)
)
SELECT p.sha256, p.seq, coalesce(substr(c.content, p.seq * 1048576 + 1, 1048576), x'')
FROM parts p JOIN document_contents c ON c.sha256 = p.sha256;
ALTER TABLE document_contents DROP COLUMN content;

ALTER TABLE informatization_objects ADD COLUMN attestation TEXT NOT NULL DEFAULT 'NOT_ATTESTED'
    CHECK (attestation IN ('ATTESTED','NOT_ATTESTED','NOT_REQUIRED'));
ALTER TABLE informatization_objects ADD COLUMN attested_on TEXT;
