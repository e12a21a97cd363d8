DROP TABLE IF EXISTS "django_session";
