-- A sign-in in progress now lives in a sealed cookie, and failed sign-ins
-- are counted per address in memory: nothing reads or writes these tables.
DROP TABLE pending_logins;
DROP TABLE login_failures;
