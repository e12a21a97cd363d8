-- djangorestframework-simplejwt 5.5.1's blacklist app (token_blacklist
-- migrations 0001-0013) as Django 5.2 creates its final tables. Django emits
-- no ON DELETE actions (it sets NULL and cascades in Python); ours adds them,
-- and the store deletes blacklisted rows itself so Django-made databases
-- behave the same.
CREATE TABLE IF NOT EXISTS "token_blacklist_outstandingtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NULL REFERENCES "auth_user" ("id") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED, "jti" varchar(255) NOT NULL UNIQUE, "token" text NOT NULL, "created_at" datetime NULL, "expires_at" datetime NOT NULL);
CREATE TABLE IF NOT EXISTS "token_blacklist_blacklistedtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token_id" bigint NOT NULL UNIQUE REFERENCES "token_blacklist_outstandingtoken" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "blacklisted_at" datetime NOT NULL);
CREATE INDEX IF NOT EXISTS "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id");
