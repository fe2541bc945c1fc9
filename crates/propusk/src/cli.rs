//! The command line (../shared/INTERFACES.md). Every flag also reads
//! `PROPUSK_<FLAG>`; file values from `--config` fill what neither gave.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    /// The answer is "no": an invalid value, a broken chain.
    pub const NO: u8 = 1;
    /// The command line or configuration is wrong.
    pub const USAGE: u8 = 2;
    /// The command could not do its work (database down, port taken…).
    pub const FAILED: u8 = 3;
}

#[derive(Debug, Parser)]
#[command(name = "propusk", version, about = "Propusk: state services for financial services", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command that touches data understands.
#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// TOML file with settings; flags and environment variables take precedence.
    #[arg(long, global = true, env = "PROPUSK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database and other local state [default: ./data].
    #[arg(long, global = true, env = "PROPUSK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://…) or SQLite (sqlite:…) URL; overrides --data-dir's database.
    #[arg(
        long,
        global = true,
        env = "PROPUSK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The key ring for personal data at rest [default: DATA_DIR/keyring]; created
    /// on first start. Every node sharing a database needs the same file.
    #[arg(long, global = true, env = "PROPUSK_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, global = true, env = "PROPUSK_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrations run on start).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check a Russian identifier; prints {"valid":…,"normalized":…,"error":…}.
    Validate(ValidateArgs),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The OpenID provider's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Partners' OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Consents given to partners.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Portal operators, who review partner applications at /admin.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The state-registry emulator (ФНС, МВД, СФР, Росреестр, ГИС ГМП) as its own process.
    Emulator(EmulatorArgs),
    /// The demo partner bank (an OpenID Connect provider that vouches for its customers).
    DemoBank(DemoBankArgs),
    /// Demo and benchmark data.
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill an empty database with citizens of the synthetic population (standard
    /// level, phones from +79500000000, the demo password), active consents of a
    /// bench partner's client and reads under them; shows progress on stderr and
    /// prints JSON with the counts, the time, the database size and the client's
    /// credentials.
    Seed(SeedArgs),
}

#[derive(Debug, Args, Clone)]
pub struct SeedArgs {
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub citizens: u64,
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub consents: u64,
    /// Rows of the access log, spread over the consents and the last 30 days.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub reads: u64,
    /// Seed of the population: the same seed gives the same people.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// A new signing key per algorithm; old keys stay published until tokens signed by them expire.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a portal operator; asks for the password on the terminal (or reads
    /// one line from stdin with --password-stdin) and prints JSON with the TOTP key
    /// for the operator's authenticator app (shown once).
    Create(AdminCreateArgs),
    /// Disable a portal operator: no more sign-ins, and every session of theirs ends now.
    Disable(AdminDisableArgs),
    /// New credentials for a portal operator (a lost authenticator, or back after
    /// being disabled): a new password, asked for as with create, and a new TOTP key
    /// printed as JSON; the operator is enabled and every session of theirs ends.
    Reset(AdminCreateArgs),
}

#[derive(Debug, Args, Clone)]
pub struct AdminDisableArgs {
    /// The operator's login.
    #[arg(long)]
    pub login: String,
}

#[derive(Debug, Args, Clone)]
pub struct AdminCreateArgs {
    /// The operator's login: 3 to 64 Latin letters, digits and . _ -
    #[arg(long)]
    pub login: String,
    /// Read the password from the first line of stdin instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; prints JSON with client_id (and client_secret for oidc sandbox clients).
    Create(ClientCreateArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ClientCreateArgs {
    /// The organization's OGRN (in a demo data dir a sandbox client may omit it).
    #[arg(long, value_name = "OGRN")]
    pub org: Option<String>,
    #[arg(long, value_name = "N")]
    pub name: String,
    /// Exact redirect URIs (repeat the flag for more).
    #[arg(long = "redirect-uri", value_name = "URI", required = true, num_args = 1..)]
    pub redirect_uris: Vec<String>,
    /// Scopes the client may ask for (repeat or space-separate).
    #[arg(long = "scope", value_name = "S", num_args = 1..)]
    pub scopes: Vec<String>,
    /// The client's public keys (a JWKS document) for private_key_jwt.
    #[arg(long, value_name = "F", conflicts_with_all = ["secret", "jwks_uri"])]
    pub jwks_file: Option<std::path::PathBuf>,
    /// Or where the client publishes its JWKS (fetched and cached).
    #[arg(long, value_name = "URL", conflicts_with = "secret")]
    pub jwks_uri: Option<String>,
    /// Issue a client_secret (oidc sandbox clients only).
    #[arg(long)]
    pub secret: bool,
    #[arg(long)]
    pub sandbox: bool,
    /// fapi2 (default) or oidc (sandbox only).
    #[arg(long, value_name = "P", default_value = "fapi2")]
    pub profile: String,
    /// Addresses or CIDR ranges allowed at the token and API endpoints (default: any).
    #[arg(long = "ip-allow", value_name = "CIDR", num_args = 1..)]
    pub ip_allow: Vec<String>,
    /// Where the client may send people after logout (repeat for more).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI", num_args = 1..)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Propusk posts logout tokens when a session ends.
    #[arg(long = "backchannel-logout-uri", value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// Requests a minute at the token and related endpoints, over all nodes.
    #[arg(long = "rate-per-minute", value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub rate_per_minute: Option<i64>,
}

#[derive(Debug, Args, Clone)]
pub struct DemoBankArgs {
    /// Address to listen on.
    #[arg(long, env = "PROPUSK_LISTEN", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Where Propusk runs: its callback is the one redirect URI the bank accepts.
    #[arg(long, env = "PROPUSK_PROPUSK_URL", value_name = "URL", value_parser = parse_public_url)]
    pub propusk_url: url::Url,
    /// The bank's customers are people of this population (as the registry emulator's).
    #[arg(long, env = "PROPUSK_PEOPLE", value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(5..=2_500_000))]
    pub people: u64,
    #[arg(long, env = "PROPUSK_SEED", value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// The secret of Propusk's client at the bank (prefer the environment variable).
    #[arg(
        long,
        env = "PROPUSK_BANK_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        default_value = "demo-bank-secret"
    )]
    pub client_secret: String,
}

#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "PROPUSK_LISTEN",
        value_name = "ADDR",
        required_unless_present = "export"
    )]
    pub listen: Option<SocketAddr>,
    /// People in the population (the demo people first), at most 2500000.
    #[arg(long, env = "PROPUSK_PEOPLE", value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(5..=2_500_000))]
    pub people: u64,
    /// Seed of the population: the same seed gives the same people.
    #[arg(long, env = "PROPUSK_SEED", value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Delay every registry answer by this many milliseconds.
    #[arg(long, env = "PROPUSK_LATENCY_MS", value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency_ms: u64,
    /// Share of registry answers that fail with 500, 503 or 504 (0 to 1).
    #[arg(long, env = "PROPUSK_FAULT_RATE", value_name = "F", default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Instead of serving, write the population as JSON lines to FILE (`-`: stdout) and exit.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s}: a number from 0 to 1")),
    }
}

#[derive(Debug, Args, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "PROPUSK_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL people and partners reach this server at [default: http://LISTEN].
    #[arg(long, env = "PROPUSK_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,
    /// Demo mode: demo data and the /dev pages.
    #[arg(long, env = "PROPUSK_DEMO")]
    pub demo: bool,
    /// Largest request body accepted, in bytes [default: 1048576].
    #[arg(long, env = "PROPUSK_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest a request may take, in seconds [default: 30].
    #[arg(long, env = "PROPUSK_REQUEST_TIMEOUT", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: Option<u64>,
    /// How long in-flight requests may finish after SIGTERM, in seconds [default: 30].
    #[arg(long, env = "PROPUSK_SHUTDOWN_GRACE", value_name = "SECONDS")]
    pub shutdown_grace: Option<u64>,
    /// Outgoing mail server: smtp://host:25, smtp://user:pass@host:587?tls=required
    /// (STARTTLS) or smtps://host:465 [default: none; emails wait in the outbox].
    #[arg(long, env = "PROPUSK_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// The From of every email [default: "Пропуск <noreply@propusk.localhost>"].
    #[arg(long, env = "PROPUSK_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// SMS gateway adapter URL (POST {"to","text"}) [default: none; SMS wait in the outbox].
    #[arg(long, env = "PROPUSK_SMS_GATEWAY_URL", value_name = "URL")]
    pub sms_gateway_url: Option<String>,
    /// Bearer token for the SMS gateway (prefer the environment variable).
    #[arg(
        long,
        env = "PROPUSK_SMS_GATEWAY_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub sms_gateway_token: Option<String>,
    /// Base URL of the state registries (e.g. a `propusk emulator`) [default: in demo mode an
    /// emulator in-process; otherwise none, and identity checks wait].
    #[arg(long, env = "PROPUSK_REGISTRIES_URL", value_name = "URL")]
    pub registries_url: Option<String>,
    /// A partner bank that confirms identities, as ID=ISSUER_URL (repeatable; e.g.
    /// demo=http://127.0.0.1:8090 for a `propusk demo-bank`). Its client id and secret
    /// come from --partner-bank-client-id and --partner-bank-secret; the config file's
    /// [[partner_bank]] tables give each bank its own [default: in demo mode a demo bank
    /// in-process; otherwise none].
    #[arg(long = "partner-bank", value_name = "ID=URL")]
    pub partner_banks: Vec<String>,
    /// Propusk's client id at the --partner-bank banks [default: propusk].
    #[arg(long, env = "PROPUSK_PARTNER_BANK_CLIENT_ID", value_name = "ID")]
    pub partner_bank_client_id: Option<String>,
    /// Propusk's client secret at the --partner-bank banks (prefer the environment variable).
    #[arg(
        long,
        env = "PROPUSK_PARTNER_BANK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub partner_bank_secret: Option<String>,
    /// A session unused this long ends, in minutes [default: 30].
    #[arg(long, env = "PROPUSK_SESSION_IDLE_MINUTES", value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub session_idle_minutes: Option<u32>,
    /// A session ends this long after sign-in, in hours [default: 12].
    #[arg(long, env = "PROPUSK_SESSION_MAX_HOURS", value_name = "HOURS", value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_max_hours: Option<u32>,
    /// Database connections in the pool [default: 16].
    #[arg(long, env = "PROPUSK_DB_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// inn, inn_person, inn_org, snils, ogrn, ogrnip, kpp, bik, bank_account, passport,
    /// division_code, phone, email, cadastral, uin, oktmo
    pub kind: String,
    pub value: String,
    /// The bank's BIK, needed for bank_account.
    #[arg(long)]
    pub bik: Option<String>,
    /// Language of the error message [default: en].
    #[arg(long, value_parser = ["ru", "en"])]
    pub lang: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Check a consent receipt (a JWS file) against Propusk's published keys;
    /// prints {"valid":…,"claims":…,"status":…}, exit 0 if valid, 1 if not.
    Verify {
        /// The receipt file (`-` for stdin).
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 0 if intact, 1 naming the first broken event.
    Verify,
}

fn parse_public_url(s: &str) -> Result<url::Url, String> {
    propusk_web::parse_public_url(s).map_err(|e| e.to_string())
}

/// Parses the command line and runs the command; never panics on input.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    ExitCode::from(crate::commands::run(cli))
}

/// `--help` and `--version` print as clap formats them; a bad flag or value
/// prints one line naming it and exits 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(exit::OK)
        }
        _ => {
            let text = e.render().to_string();
            let line = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("propusk: {line}");
            ExitCode::from(exit::USAGE)
        }
    }
}
