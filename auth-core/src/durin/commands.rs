//! Durin's management command: `create-client` (Durin's `create_client`).

use chrono::TimeDelta;

use super::{ClientError, DurinSettings, DurinStore};
use crate::commands::{required, value, Command, CommandContext, Failure, Parsed};

/// Durin's commands (feature `durin`).
pub(crate) const COMMANDS: &[Command] = &[Command {
    name: "create-client",
    aliases: &["create_client"],
    args: "<name> [--token-ttl SECONDS] [--throttle-rate RATE]",
    help: "Create a Durin client (durin_client): its tokens live --token-ttl seconds (Durin's \
           DEFAULT_TOKEN_TTL, one day, when omitted) and are throttled at --throttle-rate \
           (<number>/<s|m|h|d>, e.g. 100/h; none when omitted).",
    options: &[value("token-ttl"), value("throttle-rate")],
    max_positional: 1,
    handler: create_client,
}];

/// `--token-ttl`: whole seconds, 0 or more (Durin's own command takes
/// Django's duration text, `[DD] [HH:[MM:]]ss[.uuuuuu]`, whose plain form is
/// seconds too).
pub fn parse_token_ttl(text: &str) -> Result<TimeDelta, String> {
    let invalid = || {
        format!(
            "argument --token-ttl: expected a whole number of seconds (0 or more), got '{text}'"
        )
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let seconds: i64 = text.parse().map_err(|_| invalid())?;
    // Python's timedelta holds at most 999,999,999 days.
    if seconds > 999_999_999 * 86_400 {
        return Err(invalid());
    }
    Ok(TimeDelta::seconds(seconds))
}

fn create_client(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let [name] = required(parsed, command, ["name"])?;
    let token_ttl = match parsed.value("token-ttl") {
        Some(text) => {
            parse_token_ttl(text).map_err(|message| Failure::Usage { command, message })?
        }
        None => DurinSettings::default().default_token_ttl(),
    };
    let throttle_rate = parsed.value("throttle-rate").unwrap_or("");
    let store = ctx.store.open()?;
    match DurinStore::from(&store).create_client(name, token_ttl, throttle_rate) {
        Ok(client) => {
            writeln!(ctx.stdout, "Client {} created!", client.name)?;
            Ok(())
        }
        Err(ClientError::Invalid(errors)) => Err(Failure::Command(format!(
            "Can't create client!\n{}",
            ClientError::Invalid(errors)
        ))),
        Err(ClientError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ttls() {
        assert_eq!(parse_token_ttl("7200"), Ok(TimeDelta::hours(2)));
        assert_eq!(parse_token_ttl("0"), Ok(TimeDelta::zero()));
        for bad in ["", "-1", "1.5", "1 day", "99999999999999999999", " 5"] {
            assert!(parse_token_ttl(bad).is_err(), "{bad}");
        }
    }
}
