-- Document files are kept in chunks of at most 1 MiB, so a file of any size is written and
-- served a chunk at a time (docs/formats/objects.md); the content row keeps the size. The
-- objects register also records the information-security attestation the Law on
-- Informatization requires for state systems.
CREATE TABLE document_chunks (
    sha256 TEXT NOT NULL REFERENCES document_contents(sha256),
    seq    INTEGER NOT NULL CHECK (seq >= 0),
    bytes  BYTEA NOT NULL,
    PRIMARY KEY (sha256, seq)
);
ALTER TABLE document_contents ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE document_contents SET size_bytes = octet_length(content);
-- Files stored so far are cut into chunks of 1 MiB (an empty file keeps one empty chunk).
INSERT INTO document_chunks (sha256, seq, bytes)
SELECT c.sha256, g.seq, substring(c.content FROM g.seq * 1048576 + 1 FOR 1048576)
FROM document_contents c,
     generate_series(0, greatest((octet_length(c.content) - 1) / 1048576, 0)) AS g(seq);
ALTER TABLE document_contents DROP COLUMN content;

ALTER TABLE informatization_objects ADD COLUMN attestation TEXT NOT NULL DEFAULT 'NOT_ATTESTED'
    CHECK (attestation IN ('ATTESTED','NOT_ATTESTED','NOT_REQUIRED'));
ALTER TABLE informatization_objects ADD COLUMN attested_on DATE;

-- Chunks are mostly compressed formats already (PDF, DOCX): store them out of line as they are.
ALTER TABLE document_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
