-- The pure-SQL references of `make bench` resolve a batch as mdmbatch does, by joins and
-- CASE expressions alone (RULES.md checks 1-8), on a copy of mdmbatch's database (devices
-- already normalised) with the batch loaded into table `batch` by sqlite3 .import.
-- Leaves the temporary view `elements`: one row per (request, device) with its reason
-- (`accepted` when none).
CREATE TEMP TABLE req AS
SELECT rowid + 1 AS line, nullif(request_id, '') AS request_id, action AS action_text, target,
       nullif(target_type, '') AS target_type, nullif(reason, '') AS justification,
       nullif(requested_by, '') AS requested_by, nullif(ticket, '') AS ticket,
       CASE lower(action) WHEN 'lock' THEN 'lock' WHEN 'remote_lock' THEN 'lock'
                          WHEN 'reset_passcode' THEN 'reset_passcode' WHEN 'resetpasscode' THEN 'reset_passcode'
                          WHEN 'passcode_reset' THEN 'reset_passcode' END AS action
FROM batch;

CREATE TEMP TABLE m (line INTEGER NOT NULL, device_id TEXT NOT NULL, via TEXT NOT NULL, PRIMARY KEY (line, device_id)) WITHOUT ROWID;
INSERT INTO m SELECT r.line, d.device_id, 'device_id' FROM req r JOIN devices d ON d.device_id = r.target
 WHERE r.action IS NOT NULL AND (r.target_type IS NULL OR r.target_type = 'device_id');
INSERT INTO m SELECT r.line, d.device_id, 'serial' FROM req r JOIN devices d ON d.serial_number = r.target
 WHERE r.action IS NOT NULL AND (r.target_type = 'serial' OR (r.target_type IS NULL AND NOT EXISTS (SELECT 1 FROM m x WHERE x.line = r.line)));
INSERT INTO m SELECT r.line, d.device_id, 'imei' FROM req r JOIN devices d ON d.imei = r.target
 WHERE r.action IS NOT NULL AND (r.target_type = 'imei' OR (r.target_type IS NULL AND NOT EXISTS (SELECT 1 FROM m x WHERE x.line = r.line)));
INSERT INTO m SELECT r.line, d.device_id, 'user' FROM req r JOIN devices d ON d.primary_user_upn = r.target
 WHERE r.action IS NOT NULL AND (r.target_type = 'user' OR (r.target_type IS NULL AND NOT EXISTS (SELECT 1 FROM m x WHERE x.line = r.line)));

CREATE TEMP VIEW elements AS
WITH counted AS (
    SELECT m.line, m.device_id, m.via, r.action, count(*) OVER (PARTITION BY m.line) AS n
    FROM m JOIN req r ON r.line = m.line
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY line) AS nth,
           row_number() OVER (PARTITION BY action, CASE WHEN NOT ambiguous THEN device_id END ORDER BY line) AS occurrence
    FROM (SELECT *, via IN ('serial', 'imei') AND n > 1 AS ambiguous FROM counted)
), verdicts AS (
    SELECT r.line, r.request_id, coalesce(r.action, r.action_text) AS action, r.target,
           CASE WHEN NOT k.ambiguous THEN k.device_id END AS device_id, CASE WHEN NOT k.ambiguous THEN d.platform END AS platform,
           r.requested_by, r.justification, r.ticket, CASE
        WHEN r.action IS NULL THEN 'invalid_request'
        WHEN k.device_id IS NULL THEN
            CASE WHEN (r.target_type IS NULL OR r.target_type = 'user') AND EXISTS (SELECT 1 FROM users u WHERE u.upn = r.target)
                 THEN 'no_devices_for_user' ELSE 'unknown_target' END
        WHEN k.ambiguous THEN 'ambiguous_target'
        WHEN k.occurrence > 1 THEN 'duplicate_request'
        WHEN d.management = 'software_client' THEN 'software_client_unsupported'
        WHEN d.platform = 'version_needed' THEN 'os_version_unknown'
        WHEN d.platform NOT IN ('macos', 'ios', 'android', 'windows10mobile', 'windows10desktop', 'windowsphone8',
                                'windowsrt81', 'windowsrt', 'windows81') THEN 'unlisted_platform'
        WHEN d.platform IN ('macos', 'windows10desktop') THEN 'unsupported_platform'
        WHEN r.action = 'reset_passcode' AND d.platform IN ('windowsrt81', 'windows81') THEN 'unsupported_platform'
        WHEN r.action = 'reset_passcode' AND d.platform = 'windowsrt' THEN 'unlisted_platform'
        WHEN r.action = 'lock' AND d.platform IN ('windowsrt81', 'windowsrt', 'windows81')
             AND (coalesce(d.primary_user_upn, '') = '' OR coalesce(d.enrolled_by_upn, '') = '') THEN 'enrolling_user_unknown'
        WHEN r.action = 'lock' AND d.platform IN ('windowsrt81', 'windowsrt', 'windows81')
             AND lower(d.primary_user_upn) <> lower(d.enrolled_by_upn) THEN 'user_mismatch'
        WHEN r.action = 'reset_passcode' AND d.platform = 'android' AND NOT coalesce(d.os_version GLOB '[0-9]*', 0) THEN 'os_version_unknown'
        WHEN r.action = 'reset_passcode' AND d.platform = 'android' AND CAST(d.os_version AS REAL) >= 7.0 THEN 'os_version_unsupported'
        WHEN r.action = 'lock' AND d.passcode_set = 0 THEN 'no_passcode'
        ELSE 'accepted' END AS reason
    FROM req r
    LEFT JOIN ranked k ON k.line = r.line
    LEFT JOIN devices d ON d.device_id = k.device_id
    WHERE k.nth IS NULL OR NOT k.ambiguous OR k.nth = 1
)
SELECT * FROM verdicts;
