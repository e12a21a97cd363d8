-- DRF 3.18's authtoken_token (rest_framework.authtoken migrations 0001-0004).
-- Django emits no ON DELETE CASCADE (it cascades in Python); ours adds it, and
-- the store deletes tokens itself so Django-made databases behave the same.
CREATE TABLE IF NOT EXISTS "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);
