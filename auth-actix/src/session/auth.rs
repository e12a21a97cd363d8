//! Django's `login`, `logout` and `update_session_auth_hash` over an
//! actix-session session, for views of your own (the ready-made ones are in
//! [`views`](crate::views)).

use actix_session::{Session, SessionStatus};
use actix_web::HttpRequest;
use auth_core::error::AuthError;
use auth_core::sessions::{SessionDb, SESSION_BACKEND_KEY, SESSION_HASH_KEY, SESSION_USER_ID_KEY};
use auth_core::{StoreError, User};

use crate::blocking::run_blocking;
use crate::csrf;
use crate::error::missing_settings;
use crate::settings::AuthSettings;
use auth_core::sessions::session_user_id;

fn settings(request: &HttpRequest) -> Result<&AuthSettings, AuthError> {
    AuthSettings::from_request(request).ok_or_else(|| missing_settings().error().clone())
}

fn insert(session: &Session, key: &str, value: String) -> Result<(), AuthError> {
    session.insert(key, value).map_err(|err| {
        tracing::error!(error = %err, "the session could not be written");
        AuthError::server_error()
    })
}

/// Django's `login(request, user)`: the session becomes `user`'s.
///
/// The session key is renewed (against session fixation: a key planted
/// before the login is worthless after it); a session that belonged to
/// another user, or to this user with another password, is emptied first;
/// the user id, the backend and the session auth hash are stored; the CSRF
/// secret is rotated (the response must carry the new cookie: the
/// [`CsrfCookie`](crate::csrf::CsrfCookie) middleware or
/// [`csrf::process_response`] sends it). Check the credentials first (e.g.
/// with [`AuthStore::authenticate`](auth_core::AuthStore::authenticate), whose
/// returned user carries the password hash to derive the hash from).
pub fn login(request: &HttpRequest, user: &User) -> Result<(), AuthError> {
    let settings = settings(request)?;
    let key = settings.site().secret_key()?;
    let hash = key.session_auth_hash(&user.password);
    let session = crate::http::session_of(request);
    if session.status() == SessionStatus::Purged {
        // actix-session ignores every write after a purge.
        tracing::error!("login after logout in the same request: the session cannot be written");
        return Err(AuthError::server_error());
    }
    let previous = session_user_id(&session.entries());
    if session.contains_key(SESSION_USER_ID_KEY) {
        let same_user = previous == Some(user.id)
            && session
                .get::<String>(SESSION_HASH_KEY)
                .ok()
                .flatten()
                .is_some_and(|stored| key.verifies(&stored, &user.password));
        if !same_user {
            session.clear();
        }
    }
    session.renew();
    insert(&session, SESSION_USER_ID_KEY, user.id.to_string())?;
    let backend = settings.site().authentication_backends()[0].clone();
    insert(&session, SESSION_BACKEND_KEY, backend)?;
    insert(&session, SESSION_HASH_KEY, hash)?;
    csrf::rotate_token(request, settings.csrf());
    Ok(())
}

/// Django's `logout(request)`: the session is deleted on the server (its
/// cookie then names nothing) and the browser is told to drop it.
pub fn logout(request: &HttpRequest) {
    crate::http::session_of(request).purge();
}

/// Django's `update_session_auth_hash(request, user)`, after `user`'s
/// password changed: the current session gets a fresh key and, if it is
/// `user`'s, the new hash, so it stays logged in while the user's other
/// sessions (whose hashes no longer match) end.
pub fn update_session_auth_hash(request: &HttpRequest, user: &User) -> Result<(), AuthError> {
    let settings = settings(request)?;
    let key = settings.site().secret_key()?;
    let session = crate::http::session_of(request);
    session.renew();
    if session_user_id(&session.entries()) == Some(user.id) {
        insert(
            &session,
            SESSION_HASH_KEY,
            key.session_auth_hash(&user.password),
        )?;
    }
    Ok(())
}

/// Set `user_id`'s password and end the user's other sessions, keeping the
/// current one if it is the user's ([`update_session_auth_hash`]).
///
/// Other sessions end twice over: their hashes no longer match the password
/// (so they are refused on any store, Redis included), and the user's rows
/// of the Diesel session table (in the settings' store's database) are
/// deleted. `None` when there is no such user; a store failure is a 503.
pub async fn change_password(
    request: &HttpRequest,
    user_id: i32,
    new_password: &str,
) -> Result<Option<User>, AuthError> {
    let settings = settings(request)?;
    // Fail before changing anything if the session hash cannot be made.
    settings.site().secret_key()?;
    let store = settings.store()?.clone();
    let password = new_password.to_owned();
    let user = run_blocking(move || {
        match store.set_password(user_id, &password) {
            Ok(()) => {}
            Err(StoreError::UserNotFound) => return Ok(None),
            Err(err) => return Err(err),
        }
        SessionDb::from(&store).delete_user_sessions(user_id, None)?;
        store.user_by_id(user_id)
    })
    .await?;
    if let Some(user) = &user {
        update_session_auth_hash(request, user)?;
    }
    Ok(user)
}
