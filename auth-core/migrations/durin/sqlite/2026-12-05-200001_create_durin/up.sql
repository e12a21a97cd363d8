-- Django-Rest-Durin 1.1.0's tables on SQLite as Django 5.2 leaves them after `migrate durin`
-- (`manage.py sqlmigrate durin 0001` and `0002`: 0002 adds `throttle_rate` and widens the ids,
-- rebuilding both tables; the final statements are these). `token_ttl` is Django's DurationField:
-- a bigint of microseconds. Django declares no ON DELETE CASCADE (it cascades in Python); the
-- store deletes a user's tokens itself. IF NOT EXISTS: on a database Django has migrated this
-- changes nothing.
CREATE TABLE IF NOT EXISTS "durin_client" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(64) NOT NULL UNIQUE, "token_ttl" bigint NOT NULL, "throttle_rate" varchar(64) NOT NULL);
CREATE TABLE IF NOT EXISTS "durin_authtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token" varchar(64) NOT NULL UNIQUE, "created" datetime NOT NULL, "expiry" datetime NOT NULL, "client_id" integer NOT NULL REFERENCES "durin_client" ("id") DEFERRABLE INITIALLY DEFERRED, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "unique token for user per client" UNIQUE ("user_id", "client_id"));
CREATE INDEX IF NOT EXISTS "durin_authtoken_client_id_cb198c64" ON "durin_authtoken" ("client_id");
CREATE INDEX IF NOT EXISTS "durin_authtoken_user_id_52a09c56" ON "durin_authtoken" ("user_id");
