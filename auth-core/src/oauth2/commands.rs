//! DOT's management commands: `createapplication` and `cleartokens`.

use std::io::Write;

use super::store::{client_type, grant_type, NewApplication, OAuth2Store};
use super::OAuth2Settings;
use crate::db::StoreError;

/// The usage line of `createapplication`.
pub const CREATEAPPLICATION_USAGE: &str = "usage: createapplication [--client-id CLIENT_ID] [--user USER] \
[--redirect-uris REDIRECT_URIS] [--post-logout-redirect-uris POST_LOGOUT_REDIRECT_URIS] \
[--client-secret CLIENT_SECRET] [--no-hash-client-secret] [--name NAME] [--skip-authorization] \
[--algorithm ALGORITHM] client_type authorization_grant_type";

/// What `createapplication`'s command line says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Args {
    positional: Vec<String>,
    client_id: Option<String>,
    user: Option<String>,
    redirect_uris: Option<String>,
    client_secret: Option<String>,
    no_hash: bool,
    name: Option<String>,
    skip_authorization: bool,
    algorithm: Option<String>,
}

/// argparse's reading of `args`: options with a value as `--opt value` or
/// `--opt=value`; `Err` with argparse's message.
fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let Some(option) = arg.strip_prefix("--") else {
            out.positional.push(arg.clone());
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (option, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("argument --{name}: expected one argument"))
        };
        match name {
            "client-id" => out.client_id = Some(value()?),
            "user" => out.user = Some(value()?),
            "redirect-uris" => out.redirect_uris = Some(value()?),
            "post-logout-redirect-uris" => {
                value()?;
            }
            "client-secret" => out.client_secret = Some(value()?),
            "name" => out.name = Some(value()?),
            "algorithm" => out.algorithm = Some(value()?),
            "no-hash-client-secret" => out.no_hash = true,
            "skip-authorization" => out.skip_authorization = true,
            _ => return Err(format!("unrecognized arguments: {arg}")),
        }
    }
    match out.positional.len() {
        2 => Ok(out),
        0 => Err("the following arguments are required: client_type, authorization_grant_type".into()),
        1 => Err("the following arguments are required: authorization_grant_type".into()),
        _ => Err(format!("unrecognized arguments: {}", out.positional[2..].join(" "))),
    }
}

/// Django's `full_clean` message for a value outside a field's choices.
fn not_a_choice(field: &str, value: &str) -> String {
    format!("- {field}: [\"Value '{value}' is not a valid choice.\"]")
}

/// DOT's `createapplication`: prints `New application <name or client_id>
/// created successfully.` and, when the secret was generated,
/// `client_secret: <secret>` (the only time it is shown: the row keeps its
/// hash). Invalid choices print DOT's `Please correct the following
/// errors:` list. Returns the exit status (2 for a usage error).
pub fn createapplication(
    args: &[String],
    store: &OAuth2Store,
    settings: &OAuth2Settings,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, StoreError> {
    let args = match parse(args) {
        Ok(args) => args,
        Err(message) => {
            let _ = writeln!(stderr, "{CREATEAPPLICATION_USAGE}\ncreateapplication: error: {message}");
            return Ok(2);
        }
    };
    let (kind, grant) = (&args.positional[0], &args.positional[1]);
    let mut errors = Vec::new();
    if ![client_type::CONFIDENTIAL, client_type::PUBLIC].contains(&kind.as_str()) {
        errors.push(not_a_choice("client_type", kind));
    }
    if !grant_type::ALL.contains(&grant.as_str()) {
        errors.push(not_a_choice("authorization_grant_type", grant));
    }
    let algorithm = args.algorithm.clone().unwrap_or_default();
    if !["", "RS256", "HS256"].contains(&algorithm.as_str()) {
        errors.push(not_a_choice("algorithm", &algorithm));
    }
    let user_id = match &args.user {
        None => None,
        Some(user) => match user.parse::<i32>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(format!("- user: [\"“{user}” value must be an integer.\"]"));
                None
            }
        },
    };
    if !errors.is_empty() {
        let _ = writeln!(
            stdout,
            "Please correct the following errors:\n {}",
            errors.join("\n ")
        );
        return Ok(0);
    }
    let mut new = NewApplication::new(kind, grant);
    new.client_id = args.client_id.clone().filter(|s| !s.is_empty());
    new.client_secret = args.client_secret.clone().filter(|s| !s.is_empty());
    new.hash_client_secret = !args.no_hash;
    new.name = args.name.clone().unwrap_or_default();
    new.redirect_uris = args.redirect_uris.clone().unwrap_or_default();
    new.skip_authorization = args.skip_authorization;
    new.user_id = user_id;
    new.algorithm = algorithm;
    let generated = new.client_secret.is_none();
    let (app, secret) = store.create_application(new, settings.now())?;
    let shown = if app.name.is_empty() {
        &app.client_id
    } else {
        &app.name
    };
    let _ = writeln!(stdout, "New application {shown} created successfully.");
    if generated {
        let _ = writeln!(stdout, "client_secret: {secret}");
    }
    Ok(0)
}

/// DOT's `cleartokens`: expired tokens deleted in batches of
/// `CLEAR_EXPIRED_TOKENS_BATCH_SIZE`, each batch its own short transaction
/// (DOT #1783: one huge delete locks the tables).
pub fn cleartokens(store: &OAuth2Store, settings: &OAuth2Settings) -> Result<(usize, usize), StoreError> {
    store.clear_expired(settings, settings.clear_expired_tokens_batch_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use crate::{Hashers, PoolConfig};

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments_are_dots() {
        let args = parse(&strings(&[
            "confidential",
            "password",
            "--client-id=abc",
            "--client-secret",
            "s",
            "--no-hash-client-secret",
            "--skip-authorization",
        ]))
        .unwrap();
        assert_eq!(args.client_id.as_deref(), Some("abc"));
        assert_eq!(args.client_secret.as_deref(), Some("s"));
        assert!(args.no_hash && args.skip_authorization);
        assert!(parse(&strings(&["public"])).is_err());
        assert!(parse(&strings(&["a", "b", "--bogus"])).is_err());
        assert!(parse(&strings(&["a", "b", "--name"])).is_err());
    }

    #[test]
    fn creates_as_dot_prints() {
        let db = Database::connect("sqlite://:memory:", &PoolConfig::default()).unwrap();
        db.migrate().unwrap();
        let store = OAuth2Store::new(db).with_hashers(Hashers {
            pbkdf2_iterations: 1_000,
        });
        let settings = OAuth2Settings::default();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = strings(&["confidential", "client-credentials", "--name", "svc"]);
        assert_eq!(createapplication(&args, &store, &settings, &mut out, &mut err).unwrap(), 0);
        let text = String::from_utf8(out).unwrap();
        let secret = text
            .strip_prefix("New application svc created successfully.\nclient_secret: ")
            .unwrap()
            .trim_end();
        assert_eq!(secret.len(), 128);
        let mut out = Vec::new();
        let args = strings(&["secret", "nope"]);
        createapplication(&args, &store, &settings, &mut out, &mut err).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Please correct the following errors:\n - client_type: [\"Value 'secret' is not a valid choice.\"]\n - authorization_grant_type: [\"Value 'nope' is not a valid choice.\"]\n"
        );
        let mut out = Vec::new();
        let args = strings(&["public", "password", "--client-id", "mine", "--client-secret", "x"]);
        createapplication(&args, &store, &settings, &mut out, &mut err).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "New application mine created successfully.\n");
        assert_eq!(cleartokens(&store, &settings).unwrap(), (0, 0));
    }
}
