//! Django-style management commands as library functions.
//!
//! An application binary exposes them as subcommands (Django's `manage.py`):
//!
//! ```no_run
//! use auth_core::commands::{self, StoreSource};
//!
//! fn main() {
//!     let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "db.sqlite3".into());
//!     std::process::exit(commands::run_with_stdio(
//!         "manage",
//!         std::env::args().skip(1).collect::<Vec<_>>().as_slice(),
//!         StoreSource::url(url),
//!     ));
//! }
//! ```
//!
//! | command | does | prints (stdout) |
//! |---|---|---|
//! | `migrate` | applies pending migrations | `Running migrations:` and `  Applying <name>... OK` lines, or `  No migrations to apply.` |
//! | `createuser <username> [--password-stdin] [--email E] [--staff] [--superuser] [--inactive] [--noinput]` | creates a user | `User created successfully.` |
//! | `createsuperuser <username>` (or `--username U`) `[--password-stdin] [--email E] [--noinput]` | same, staff and superuser | `Superuser created successfully.` |
//! | `changepassword <username>` | sets a new password | `Password changed successfully for user '<u>'` |
//! | `create-token [-r\|--reset] <username>` (alias `drf_create_token`) | DRF's `drf_create_token` | `Generated token <key> for user <u>` |
//! | `purge-tokens` (with a token family: `knox`, `durin`) | deletes the expired tokens of every token family compiled in | `Deleted <n> expired knox tokens.`, one line per family |
//! | `create-client <name> [--token-ttl SECONDS] [--throttle-rate RATE]` (feature `durin`) | Durin's `create_client` (an omitted TTL is one day) | `Client <name> created!` |
//! | `clearsessions` | deletes expired rows of both session tables, `actix_auth_session` and Django's `django_session` (Django's `clearsessions`) | nothing |
//! | `grant <username> <app_label>.<codename>` | grants a permission to a user (Django's `user.user_permissions.add`) | `Granted <permission> to user '<u>'.` |
//! | `grant-group <group> <app_label>.<codename>` | grants a permission to a group, creating the group if missing | `Granted <permission> to group '<g>'.` |
//! | `join-group <username> <group>` | adds a user to a group (Django's `user.groups.add`) | `Added user '<u>' to group '<g>'.` |
//!
//! `createuser` and `createsuperuser` take the password:
//! - by prompting `Password: ` and `Password (again): ` (without echo on a
//!   terminal; otherwise one line each from standard input, kept byte for
//!   byte except the line ending);
//! - with `--password-stdin`, from one line of standard input, without a
//!   prompt (for scripts: `printf '%s\n' "$PASSWORD" | app createuser alice
//!   --password-stdin`);
//! - with `--noinput`, from the environment variable
//!   `DJANGO_SUPERUSER_PASSWORD` ([`PASSWORD_ENV`]), as Django's
//!   `createsuperuser --noinput` does; when it is unset, the user gets an
//!   unusable password.
//!
//! `--password P` works too, but puts the secret on the command line, where
//! every user of the machine can read it (`ps`, `/proc/<pid>/cmdline`).
//!
//! A permission is named as Django's `user.has_perm` names it: `auth.add_user`
//! is the codename `add_user` of the app `auth`; the core's migrations create
//! Django's default ones (`add_`, `change_`, `delete_`, `view_` for the
//! `auth` and `contenttypes` models), and Django's `migrate` those of every
//! installed app.
//!
//! Failures print one line on stderr (`CommandError: …`, as Django does) and return exit status 1; a malformed
//! command line prints usage and returns 2.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, IsTerminal, Write};

use crate::db::PoolConfig;
use crate::models::NewUser;
use crate::sessions::SessionDb;
use crate::store::{AuthStore, StoreError};

/// Where the commands get their [`AuthStore`].
#[derive(Debug, Clone)]
pub enum StoreSource {
    /// An existing store (its hashers and hooks apply).
    Store(AuthStore),
    /// A database URL, connected to when a command needs it.
    Url {
        /// The database URL (see [`DatabaseUrl`](crate::db::DatabaseUrl)).
        url: String,
        /// Pool settings.
        config: PoolConfig,
    },
}

impl StoreSource {
    /// A URL with pool settings for a one-shot command: the defaults, but no idle
    /// connection kept in reserve. A reserve connection is opened by r2d2's background
    /// thread, which can still be inside libpq when the process exits after the command,
    /// and libpq's clean-up at exit then races it (seen as a crash at exit on PostgreSQL).
    pub fn url(url: impl Into<String>) -> Self {
        StoreSource::Url {
            url: url.into(),
            config: PoolConfig {
                min_idle: Some(0),
                ..PoolConfig::default()
            },
        }
    }

    pub(crate) fn open(&self) -> Result<AuthStore, StoreError> {
        match self {
            StoreSource::Store(store) => Ok(store.clone()),
            StoreSource::Url { url, config } => AuthStore::connect(url, config),
        }
    }
}

/// What a command runs against: the store and the three standard streams.
pub struct CommandContext<'a> {
    /// The program name shown in usage text (e.g. `manage`).
    pub program: &'a str,
    /// The store, or how to connect to it.
    pub store: StoreSource,
    /// Standard input (password lines when it is not a terminal).
    pub stdin: &'a mut dyn BufRead,
    /// Standard output.
    pub stdout: &'a mut dyn Write,
    /// Standard error.
    pub stderr: &'a mut dyn Write,
    /// When `true`, passwords are read from the terminal without echo instead
    /// of from `stdin`.
    pub stdin_is_terminal: bool,
    /// The environment (`std::env::var` for a real process): with
    /// `--noinput`, `createuser` and `createsuperuser` take the password from
    /// [`PASSWORD_ENV`].
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Django's `DJANGO_SUPERUSER_PASSWORD`: the password `createuser` and
/// `createsuperuser` set with `--noinput` (an unusable one when unset). It
/// keeps the secret out of the command line, which every user of the
/// machine can read (`/proc/<pid>/cmdline`, `ps`).
pub const PASSWORD_ENV: &str = "DJANGO_SUPERUSER_PASSWORD";

/// The process environment, for [`CommandContext::env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Runs the command in `args` (`args[0]` is the command name, not the program)
/// with the process's standard streams; returns the exit status.
pub fn run_with_stdio(program: &str, args: &[String], store: StoreSource) -> i32 {
    let stdin = io::stdin();
    let stdin_is_terminal = stdin.is_terminal();
    let mut stdin = stdin.lock();
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    run(
        args,
        CommandContext {
            program,
            store,
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            stdin_is_terminal,
            env: &process_env,
        },
    )
}

/// Runs the command in `args` (`args[0]` is the command name) and returns its
/// exit status: 0 on success, 1 on a command error, 2 on a usage error.
pub fn run(args: &[String], mut ctx: CommandContext<'_>) -> i32 {
    let outcome = dispatch(args, &mut ctx);
    let code = match outcome {
        Ok(()) => 0,
        Err(Failure::Command(message)) => {
            let _ = writeln!(ctx.stderr, "CommandError: {message}");
            1
        }
        Err(Failure::Plain(message)) => {
            let _ = writeln!(ctx.stderr, "{message}");
            1
        }
        Err(Failure::Usage { command, message }) => {
            let _ = writeln!(ctx.stderr, "{}", usage_line(ctx.program, command));
            let _ = writeln!(
                ctx.stderr,
                "{} {}: error: {message}",
                ctx.program, command.name
            );
            2
        }
    };
    let _ = ctx.stdout.flush();
    let _ = ctx.stderr.flush();
    code
}

/// Why a command stopped.
pub(crate) enum Failure {
    /// Printed as `CommandError: <message>` (Django's `CommandError`).
    Command(String),
    /// Printed as is (Django's own `Error: …` lines).
    Plain(String),
    /// A malformed command line.
    Usage {
        command: &'static Command,
        message: String,
    },
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Command(e.to_string())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Command(format!("I/O error: {e}"))
    }
}

/// One option of a command.
pub(crate) struct Opt {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
}

const fn flag(long: &'static str) -> Opt {
    Opt {
        long,
        short: None,
        takes_value: false,
    }
}

pub(crate) const fn value(long: &'static str) -> Opt {
    Opt {
        long,
        short: None,
        takes_value: true,
    }
}

/// One command: a family's are listed in [`crate::COMMAND_SETS`].
pub(crate) struct Command {
    pub(crate) name: &'static str,
    pub(crate) aliases: &'static [&'static str],
    pub(crate) args: &'static str,
    pub(crate) help: &'static str,
    pub(crate) options: &'static [Opt],
    /// At most this many positional arguments.
    pub(crate) max_positional: usize,
    pub(crate) handler:
        fn(&'static Command, &Parsed, &mut CommandContext<'_>) -> Result<(), Failure>,
}

const USER_OPTIONS: &[Opt] = &[
    value("password"),
    flag("password-stdin"),
    value("email"),
    flag("staff"),
    flag("superuser"),
    flag("inactive"),
    flag("noinput"),
    flag("no-input"),
];

const SUPERUSER_OPTIONS: &[Opt] = &[
    value("username"),
    value("password"),
    flag("password-stdin"),
    value("email"),
    flag("noinput"),
    flag("no-input"),
];

/// Every command compiled in: the sets of [`crate::COMMAND_SETS`] (the
/// crate root lists the core's, then each family's, behind its feature), in
/// the order `help` lists them. Names and aliases are unique across all of them.
fn commands() -> impl Iterator<Item = &'static Command> {
    crate::COMMAND_SETS.iter().flat_map(|set| set.iter())
}

/// The core's commands (Django's `manage.py` ones and DRF's `drf_create_token`).
pub(crate) const CORE_COMMANDS: &[Command] = &[
    Command {
        name: "migrate",
        aliases: &[],
        args: "",
        help: "Create the tables of every feature compiled in where they are missing (the core's: \
               auth_user, authtoken_token, actix_auth_session, and Django's content type, permission \
               and group tables with their default rows), and list the migrations applied.",
        options: &[],
        max_positional: 0,
        handler: migrate,
    },
    Command {
        name: "createuser",
        aliases: &[],
        args: "<username> [--password-stdin | --password P] [--email E] [--staff] [--superuser] [--inactive] [--noinput]",
        help: "Create a user; prompts for the password, or reads one line with --password-stdin, or \
               with --noinput takes it from DJANGO_SUPERUSER_PASSWORD (unusable when unset). \
               --password P is visible to every user of the machine (ps, /proc): avoid it.",
        options: USER_OPTIONS,
        max_positional: 1,
        handler: createuser,
    },
    Command {
        name: "createsuperuser",
        aliases: &[],
        args: "<username> [--password-stdin | --password P] [--email E] [--noinput]",
        help: "Create a staff superuser (as createuser --staff --superuser); the password as \
               for createuser (prompt, --password-stdin, or DJANGO_SUPERUSER_PASSWORD with --noinput).",
        options: SUPERUSER_OPTIONS,
        max_positional: 1,
        handler: createsuperuser,
    },
    Command {
        name: "changepassword",
        aliases: &[],
        args: "<username>",
        help: "Change a user's password (prompts twice).",
        options: &[],
        max_positional: 1,
        handler: changepassword,
    },
    Command {
        name: "create-token",
        aliases: &["drf_create_token"],
        args: "[-r|--reset] <username>",
        help: "Print the user's API token, creating it if needed; --reset replaces it.",
        options: &[Opt {
            long: "reset",
            short: Some('r'),
            takes_value: false,
        }],
        max_positional: 1,
        handler: create_token,
    },
    Command {
        name: "clearsessions",
        aliases: &[],
        args: "",
        help: "Delete expired sessions from the actix_auth_session and django_session tables.",
        options: &[],
        max_positional: 0,
        handler: clearsessions,
    },
    Command {
        name: "grant",
        aliases: &[],
        args: "<username> <app_label>.<codename>",
        help: "Grant a permission (e.g. auth.add_user) to a user; granting it again changes nothing.",
        options: &[],
        max_positional: 2,
        handler: grant,
    },
    Command {
        name: "grant-group",
        aliases: &[],
        args: "<group> <app_label>.<codename>",
        help: "Grant a permission (e.g. auth.add_user) to a group, creating the group if it is missing.",
        options: &[],
        max_positional: 2,
        handler: grant_group,
    },
    Command {
        name: "join-group",
        aliases: &[],
        args: "<username> <group>",
        help: "Add a user to an existing group.",
        options: &[],
        max_positional: 2,
        handler: join_group,
    },
];

fn find_command(name: &str) -> Option<&'static Command> {
    commands().find(|c| c.name == name || c.aliases.contains(&name))
}

/// `<program> <command> <args>`.
fn synopsis(program: &str, command: &Command) -> String {
    if command.args.is_empty() {
        format!("{program} {}", command.name)
    } else {
        format!("{program} {} {}", command.name, command.args)
    }
}

fn usage_line(program: &str, command: &Command) -> String {
    format!("usage: {}", synopsis(program, command))
}

fn write_usage(ctx: &mut CommandContext<'_>) -> io::Result<()> {
    writeln!(ctx.stdout, "Usage: {} <command> [options]", ctx.program)?;
    writeln!(ctx.stdout)?;
    writeln!(ctx.stdout, "Commands:")?;
    for command in commands() {
        writeln!(ctx.stdout, "  {}", synopsis(ctx.program, command))?;
        writeln!(ctx.stdout, "      {}", command.help)?;
        if !command.aliases.is_empty() {
            writeln!(ctx.stdout, "      Alias: {}", command.aliases.join(", "))?;
        }
    }
    writeln!(ctx.stdout, "  {} help [<command>]", ctx.program)?;
    writeln!(ctx.stdout, "      Show this text, or one command's usage.")
}

fn dispatch(args: &[String], ctx: &mut CommandContext<'_>) -> Result<(), Failure> {
    let Some(name) = args.first() else {
        write_usage(ctx)?;
        return Ok(());
    };
    if matches!(name.as_str(), "help" | "--help" | "-h") {
        match args.get(1).and_then(|n| find_command(n)) {
            Some(command) => {
                writeln!(ctx.stdout, "{}", usage_line(ctx.program, command))?;
                writeln!(ctx.stdout, "\n{}", command.help)?;
            }
            None => write_usage(ctx)?,
        }
        return Ok(());
    }
    let Some(command) = find_command(name) else {
        return Err(Failure::Plain(format!(
            "Unknown command: '{name}'\nType '{} help' for usage.",
            ctx.program
        )));
    };
    let rest = &args[1..];
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        writeln!(ctx.stdout, "{}", usage_line(ctx.program, command))?;
        writeln!(ctx.stdout, "\n{}", command.help)?;
        return Ok(());
    }
    let parsed = parse(command, rest).map_err(|message| Failure::Usage { command, message })?;
    (command.handler)(command, &parsed, ctx)
}

/// A parsed command line.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    positional: Vec<String>,
    values: BTreeMap<&'static str, String>,
    flags: BTreeSet<&'static str>,
}

impl Parsed {
    pub(crate) fn value(&self, long: &str) -> Option<&str> {
        self.values.get(long).map(String::as_str)
    }

    fn flag(&self, long: &str) -> bool {
        self.flags.contains(long)
    }
}

fn parse(command: &Command, args: &[String]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut args = args.iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let option = if options_done {
            None
        } else if arg == "--" {
            options_done = true;
            continue;
        } else if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, v)) => (name, Some(v)),
                None => (long, None),
            };
            let opt = command
                .options
                .iter()
                .find(|o| o.long == name)
                .ok_or_else(|| format!("unrecognized arguments: {arg}"))?;
            Some((opt, inline))
        } else if arg.len() > 1 && arg.starts_with('-') {
            let mut chars = arg[1..].chars();
            let opt = match (chars.next(), chars.next()) {
                (Some(c), None) => command.options.iter().find(|o| o.short == Some(c)),
                _ => None,
            }
            .ok_or_else(|| format!("unrecognized arguments: {arg}"))?;
            Some((opt, None))
        } else {
            None
        };
        match option {
            None => parsed.positional.push(arg.clone()),
            Some((opt, inline)) if opt.takes_value => {
                let v = match inline {
                    Some(v) => v.to_owned(),
                    None => args
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("argument --{}: expected one argument", opt.long))?,
                };
                parsed.values.insert(opt.long, v);
            }
            Some((opt, None)) => {
                parsed.flags.insert(opt.long);
            }
            Some((opt, Some(_))) => {
                return Err(format!(
                    "argument --{}: ignored explicit argument in {arg}",
                    opt.long
                ))
            }
        }
    }
    if parsed.positional.len() > command.max_positional {
        return Err(format!(
            "unrecognized arguments: {}",
            parsed.positional[command.max_positional..].join(" ")
        ));
    }
    Ok(parsed)
}

/// The positional arguments named by `names`, all required (argparse's
/// message lists the missing ones).
pub(crate) fn required<'p, const N: usize>(
    parsed: &'p Parsed,
    command: &'static Command,
    names: [&str; N],
) -> Result<[&'p str; N], Failure> {
    let given = parsed.positional.len();
    if given < N {
        return Err(Failure::Usage {
            command,
            message: format!(
                "the following arguments are required: {}",
                names[given..].join(", ")
            ),
        });
    }
    Ok(std::array::from_fn(|i| parsed.positional[i].as_str()))
}

fn required_username<'p>(
    parsed: &'p Parsed,
    command: &'static Command,
) -> Result<&'p str, Failure> {
    required(parsed, command, ["username"]).map(|[username]| username)
}

fn migrate(_: &'static Command, _: &Parsed, ctx: &mut CommandContext<'_>) -> Result<(), Failure> {
    let store = ctx.store.open()?;
    let applied = store.migrate()?;
    writeln!(ctx.stdout, "Running migrations:")?;
    if applied.is_empty() {
        writeln!(ctx.stdout, "  No migrations to apply.")?;
    }
    for name in applied {
        writeln!(ctx.stdout, "  Applying {name}... OK")?;
    }
    Ok(())
}

/// Reads one password: from the terminal without echo, or one line of stdin.
/// `None` when input ended.
fn read_password(ctx: &mut CommandContext<'_>, prompt: &str) -> Result<Option<String>, Failure> {
    if ctx.stdin_is_terminal {
        return match rpassword::prompt_password(prompt) {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    write!(ctx.stderr, "{prompt}")?;
    ctx.stderr.flush()?;
    let line = read_stdin_line(ctx)?;
    writeln!(ctx.stderr)?;
    Ok(line)
}

/// One line of standard input without its line ending, kept byte for byte
/// otherwise; `None` when input ended.
fn read_stdin_line(ctx: &mut CommandContext<'_>) -> Result<Option<String>, Failure> {
    let mut line = String::new();
    let read = ctx.stdin.read_line(&mut line).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            Failure::Command("the password is not valid UTF-8".into())
        } else {
            e.into()
        }
    })?;
    if read == 0 {
        return Ok(None);
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Some(line))
}

/// `createsuperuser`'s password dialogue, asked once: a mismatch or a blank
/// password is an error.
fn prompt_new_password(ctx: &mut CommandContext<'_>) -> Result<String, Failure> {
    let ended = || Failure::Command("no password given (standard input ended)".into());
    let first = read_password(ctx, "Password: ")?.ok_or_else(ended)?;
    let second = read_password(ctx, "Password (again): ")?.ok_or_else(ended)?;
    if first != second {
        return Err(Failure::Plain("Error: Your passwords didn't match.".into()));
    }
    check_not_blank(&first)?;
    Ok(first)
}

fn check_not_blank(password: &str) -> Result<(), Failure> {
    if password.trim().is_empty() {
        return Err(Failure::Plain(
            "Error: Blank passwords aren't allowed.".into(),
        ));
    }
    Ok(())
}

fn create(
    ctx: &mut CommandContext<'_>,
    parsed: &Parsed,
    username: &str,
    staff: bool,
    superuser: bool,
) -> Result<(), Failure> {
    crate::models::validate_username(username)
        .map_err(|errors| Failure::Command(errors.join("; ")))?;
    let store = ctx.store.open()?;
    if store.user_by_username(username)?.is_some() {
        return Err(StoreError::DuplicateUsername.into());
    }
    let noinput = parsed.flag("noinput") || parsed.flag("no-input");
    let password = match (parsed.value("password"), parsed.flag("password-stdin")) {
        (Some(_), true) => {
            return Err(Failure::Command(
                "--password and --password-stdin are mutually exclusive".into(),
            ))
        }
        (Some(p), false) => Some(p.to_owned()),
        (None, true) => {
            let ended = || Failure::Command("no password given (standard input ended)".into());
            Some(read_stdin_line(ctx)?.ok_or_else(ended)?)
        }
        (None, false) if noinput => (ctx.env)(PASSWORD_ENV),
        (None, false) => Some(prompt_new_password(ctx)?),
    };
    if let Some(password) = &password {
        check_not_blank(password)?;
    }
    let user = NewUser {
        email: parsed.value("email").unwrap_or_default().to_owned(),
        is_staff: staff,
        is_superuser: superuser,
        is_active: !parsed.flag("inactive"),
        ..NewUser::new(username, password)
    };
    store.create_user(user)?;
    if superuser {
        writeln!(ctx.stdout, "Superuser created successfully.")?;
    } else {
        writeln!(ctx.stdout, "User created successfully.")?;
    }
    Ok(())
}

fn createuser(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let username = required_username(parsed, command)?;
    create(
        ctx,
        parsed,
        username,
        parsed.flag("staff"),
        parsed.flag("superuser"),
    )
}

fn createsuperuser(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let username = match (parsed.positional.first(), parsed.value("username")) {
        (Some(_), Some(_)) => {
            return Err(Failure::Usage {
                command,
                message: "give the username once, as an argument or with --username".into(),
            })
        }
        (Some(u), None) => u.as_str(),
        (None, Some(u)) => u,
        (None, None) => required_username(parsed, command)?,
    };
    create(ctx, parsed, username, true, true)
}

fn changepassword(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    const MAX_TRIES: usize = 3;
    let username = required_username(parsed, command)?;
    let store = ctx.store.open()?;
    let Some(user) = store.user_by_username(username)? else {
        return Err(Failure::Command(format!(
            "user '{username}' does not exist"
        )));
    };
    writeln!(ctx.stdout, "Changing password for user '{user}'")?;
    let aborted = || Failure::Command("aborted".into());
    for _ in 0..MAX_TRIES {
        let first = read_password(ctx, "Password: ")?
            .filter(|p| !p.is_empty())
            .ok_or_else(aborted)?;
        let second = read_password(ctx, "Password (again): ")?
            .filter(|p| !p.is_empty())
            .ok_or_else(aborted)?;
        if first != second {
            writeln!(ctx.stdout, "Passwords do not match. Please try again.")?;
            continue;
        }
        store.set_password(user.id, &first)?;
        writeln!(
            ctx.stdout,
            "Password changed successfully for user '{user}'"
        )?;
        return Ok(());
    }
    Err(Failure::Command(format!(
        "Aborting password change for user '{user}' after {MAX_TRIES} attempts"
    )))
}

fn create_token(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let username = required_username(parsed, command)?;
    let store = ctx.store.open()?;
    let Some(user) = store.user_by_username(username)? else {
        return Err(Failure::Command(format!(
            "Cannot create the Token: user {username} does not exist"
        )));
    };
    let token = if parsed.flag("reset") {
        store.token_regenerate(user.id)?
    } else {
        store.token_get_or_create(user.id)?.0
    };
    writeln!(
        ctx.stdout,
        "Generated token {} for user {username}",
        token.key
    )?;
    Ok(())
}

/// Django's `clearsessions`: silent on success, like Django's.
fn clearsessions(
    _: &'static Command,
    _: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let store = ctx.store.open()?;
    SessionDb::from(&store).clear_expired()?;
    crate::sessions::django::DjangoSessionDb::new(store.database().clone()).clear_expired()?;
    Ok(())
}

/// The commands of the families with expiring tokens (compiled in with any
/// of them; a family adds its feature to the `cfg` and its purge to
/// [`TOKEN_PURGES`](crate::purge::TOKEN_PURGES)).
#[cfg(any(feature = "knox", feature = "durin"))]
pub(crate) const TOKEN_COMMANDS: &[Command] = &[Command {
    name: "purge-tokens",
    aliases: &[],
    args: "",
    help: "Delete the expired tokens of every token family compiled in (knox_authtoken, \
           durin_authtoken, ...), printing how many of each.",
    options: &[],
    max_positional: 0,
    handler: purge_tokens,
}];

/// `purge-tokens`: every family's [`TokenPurge`](crate::purge::TokenPurge),
/// one line each: `Deleted <n> expired <what>.`
#[cfg(any(feature = "knox", feature = "durin"))]
fn purge_tokens(
    _: &'static Command,
    _: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let store = ctx.store.open()?;
    let now = crate::store::now_utc();
    for purge in crate::purge::TOKEN_PURGES {
        let deleted = store.database().run(|conn| (purge.purge)(conn, now))?;
        writeln!(ctx.stdout, "Deleted {deleted} expired {}.", purge.what)?;
    }
    Ok(())
}

/// The `<username> <app_label>.<codename>` (or `<group> …`) of `grant` and
/// `grant-group`; a permission without its app label is a usage error.
fn required_grant<'p>(
    parsed: &'p Parsed,
    command: &'static Command,
    grantee: &str,
) -> Result<(&'p str, &'p str), Failure> {
    let [to, permission] = required(parsed, command, [grantee, "permission"])?;
    if !permission.contains('.') {
        return Err(Failure::Usage {
            command,
            message: format!(
                "argument permission: expected <app_label>.<codename>, got '{permission}'"
            ),
        });
    }
    Ok((to, permission))
}

/// The command's line for a store error: who or what is unknown, by name.
fn naming(error: StoreError, username: &str) -> Failure {
    match error {
        StoreError::UserNotFound => Failure::Command(format!("user '{username}' does not exist")),
        other => other.into(),
    }
}

fn grant(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let (username, permission) = required_grant(parsed, command, "username")?;
    let store = ctx.store.open()?;
    store
        .grant_permission(username, permission)
        .map_err(|e| naming(e, username))?;
    writeln!(ctx.stdout, "Granted {permission} to user '{username}'.")?;
    Ok(())
}

fn grant_group(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let (group, permission) = required_grant(parsed, command, "group")?;
    let store = ctx.store.open()?;
    store.grant_group_permission(group, permission)?;
    writeln!(ctx.stdout, "Granted {permission} to group '{group}'.")?;
    Ok(())
}

fn join_group(
    command: &'static Command,
    parsed: &Parsed,
    ctx: &mut CommandContext<'_>,
) -> Result<(), Failure> {
    let [username, group] = required(parsed, command, ["username", "group"])?;
    let store = ctx.store.open()?;
    store
        .join_group(username, group)
        .map_err(|e| naming(e, username))?;
    writeln!(ctx.stdout, "Added user '{username}' to group '{group}'.")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A family's command must not shadow another's name or alias: the first
    /// one found would win silently.
    #[test]
    fn names_and_aliases_are_unique_across_features() {
        let mut seen = std::collections::HashSet::new();
        for command in commands() {
            for name in std::iter::once(&command.name).chain(command.aliases) {
                assert!(seen.insert(*name), "`{name}` is defined twice");
                assert!(
                    !matches!(*name, "help" | "--help" | "-h"),
                    "`{name}` is reserved"
                );
            }
        }
        assert!(find_command("drf_create_token").is_some_and(|c| c.name == "create-token"));
    }
}
