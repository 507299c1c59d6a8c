-- v0009: secrets exactly once (DESIGN.md, "Secrets exactly once, even across kill -9 and two
-- `confirm`s"). Before a secret's line is written, the element records, in the transaction
-- that records its outcome, the secrets file it is about to go to: its absolute path and
-- inode (the claim). The line is then written and fsynced, and a second transaction marks
-- the element delivered (`secret_delivered_at`) and drops the claim. A claim left without a
-- mark by a process that died is resolved by the next run or confirm, which reads the
-- claimed file: the line there, the secret is marked delivered; not there, delivered again.
ALTER TABLE dispatches ADD COLUMN secret_claim_path TEXT;
ALTER TABLE dispatches ADD COLUMN secret_claim_inode INTEGER;
-- every run and confirm looks for claims at its start: a partial index keeps that from
-- reading every element of every run (it holds only the rows claimed now, a few at most)
CREATE INDEX dispatches_secret_claims ON dispatches(secret_claim_path) WHERE secret_claim_path IS NOT NULL;
