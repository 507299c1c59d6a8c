-- v0008: the service each run sent to (DESIGN.md, "Same service, same identity"): `mock`, or
-- `graph ` and the normalised origin of its Graph URL (scheme, host and port, lower-cased,
-- the default port and the path left out). already_done, unknown_earlier and
-- unlock_pin_outstanding count only runs of the same service. Runs recorded before get theirs
-- from the transport settings in their options, normalised as ServiceIdentity.origin(of:) does.
ALTER TABLE runs ADD COLUMN service TEXT NOT NULL DEFAULT 'mock';
UPDATE runs SET service = lower(trim(coalesce(json_extract(options, '$.transport.graph_url'), 'https://graph.microsoft.com/v1.0')))
WHERE json_valid(options) AND json_extract(options, '$.transport.kind') = 'graph';
-- scheme://authority: cut at the first /, ? and # after the scheme
UPDATE runs SET service = substr(service, 1, instr(service, '://') + 1 + instr(substr(service, instr(service, '://') + 3), '/'))
WHERE instr(service, '://') > 0 AND instr(substr(service, instr(service, '://') + 3), '/') > 0;
UPDATE runs SET service = substr(service, 1, instr(service, '://') + 1 + instr(substr(service, instr(service, '://') + 3), '?'))
WHERE instr(service, '://') > 0 AND instr(substr(service, instr(service, '://') + 3), '?') > 0;
UPDATE runs SET service = substr(service, 1, instr(service, '://') + 1 + instr(substr(service, instr(service, '://') + 3), '#'))
WHERE instr(service, '://') > 0 AND instr(substr(service, instr(service, '://') + 3), '#') > 0;
-- the scheme's default port says nothing
UPDATE runs SET service = substr(service, 1, length(service) - 4) WHERE service LIKE 'https://%:443';
UPDATE runs SET service = substr(service, 1, length(service) - 3) WHERE service LIKE 'http://%:80';
UPDATE runs SET service = 'graph ' || service
WHERE json_valid(options) AND json_extract(options, '$.transport.kind') = 'graph';
