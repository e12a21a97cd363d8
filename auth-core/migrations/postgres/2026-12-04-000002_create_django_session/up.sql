-- Django 5.2's django.contrib.sessions 0001 on PostgreSQL (`manage.py sqlmigrate sessions 0001`):
-- the `db` session engine's table, read and written by Django and by our Django session store.
-- IF NOT EXISTS: on a database Django has migrated this changes nothing.
CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL);
CREATE INDEX IF NOT EXISTS "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
