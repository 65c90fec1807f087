//! The command line: `serve`, `seed`, `import`, `migrate`, `staff`, `users`, `keys`, `config`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::{keys, orgs, users};

use crate::audit::{self, Actor, Event};
use crate::auth::key_ring::{self, KeyRing};
use crate::auth::tokens::TokenAuthority;
use crate::config::{Config, FlagOverrides};
use crate::{App, demo, open_database, open_master_key, services, telemetry};

#[derive(Parser)]
#[command(
    name = "oneportal",
    version,
    about = "OnePortal: customer portal, OAuth 2.0 authorization server and API V2"
)]
struct Cli {
    /// A TOML configuration file (settings there are overridden by ONEPORTAL_* variables, then by flags).
    #[arg(long, global = true, env = "ONEPORTAL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Default)]
struct StorageFlags {
    /// Directory for the SQLite database and the generated master key.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…) instead of the embedded SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// The URL clients reach the server at (the token issuer).
    #[arg(long)]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        #[command(flatten)]
        storage: StorageFlags,
        /// Seed a demo organization and print how to use it.
        #[arg(long)]
        demo: bool,
        /// The demo users' password (random when not given).
        #[arg(long, env = "ONEPORTAL_DEMO_PASSWORD", requires = "demo")]
        demo_password: Option<String>,
    },
    /// Generate a large data set for benchmarks: an organization with the demo
    /// catalog (if it has no services yet) and N support cases.
    Seed {
        /// How many cases to generate.
        #[arg(long)]
        cases: i64,
        /// The organization to fill (created when missing).
        #[arg(long, default_value = "ACME Corporation")]
        organization: String,
        /// Spread the cases evenly over this many organizations, named
        /// "<organization> 1" to "<organization> N", each with its own catalog.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        organizations: u32,
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Import organizations, accounts, sites, services, invoices, case updates and
    /// RFOs from a JSON document (see docs/operations.md). The whole file is checked first;
    /// importing it again changes nothing.
    Import {
        /// The JSON document.
        file: PathBuf,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Manage the provider's staff (operations API).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage token-signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a staff member.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `Agent` or `Admin`.
        #[arg(long, default_value = "Agent")]
        role: String,
        /// A password for the staff pages at /staff/login (at least 12 characters); read from
        /// ONEPORTAL_STAFF_PASSWORD when not given. Without one the staff member uses tokens only.
        #[arg(long, env = "ONEPORTAL_STAFF_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Set a staff member's password for /staff/login; their open sessions end.
    SetPassword {
        #[arg(long)]
        email: String,
        /// At least 12 characters; read from ONEPORTAL_STAFF_PASSWORD when not given.
        #[arg(long, env = "ONEPORTAL_STAFF_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Print a short-lived staff token for the operations API; the mint is audited.
    Token {
        #[arg(long)]
        email: String,
        /// Lifetime in seconds (60–3600, default 900).
        #[arg(long, default_value_t = 900)]
        ttl: u32,
        #[command(flatten)]
        storage: StorageFlags,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an active user (the organization is created if it does not exist).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// The organization's name.
        #[arg(long)]
        organization: String,
        /// Comma-separated permissions, e.g. "Developer Portal (API),Support (Edit)"; `all` for every one.
        #[arg(long, default_value = "Sites & Services (View)")]
        permissions: String,
        /// The password (at least 12 characters); read from ONEPORTAL_USER_PASSWORD when not given.
        #[arg(long, env = "ONEPORTAL_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Print a short-lived user token for automation (audited).
    Token {
        #[arg(long)]
        email: String,
        /// Lifetime in seconds (default: oauth.user_token_ttl_secs).
        #[arg(long)]
        ttl: Option<u32>,
        #[command(flatten)]
        storage: StorageFlags,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List signing keys and their states.
    List {
        #[command(flatten)]
        storage: StorageFlags,
    },
    /// Start signing with the pre-published next key and publish a new next key.
    Rotate {
        #[command(flatten)]
        storage: StorageFlags,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print the result (secrets hidden).
    Check {
        #[command(flatten)]
        storage: StorageFlags,
    },
}

fn load(
    config: Option<&std::path::Path>,
    storage: StorageFlags,
    bind: Option<std::net::SocketAddr>,
) -> anyhow::Result<Config> {
    Config::load(
        config,
        FlagOverrides {
            bind,
            data_dir: storage.data_dir,
            database_url: storage.database_url,
            public_url: storage.public_url,
        },
    )
    .map_err(|e| anyhow::anyhow!("configuration error: {e}"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = cli.config.as_deref();
    match cli.command {
        Command::Serve {
            bind,
            storage,
            demo,
            demo_password,
        } => {
            let mut config = load(file, storage, bind)?;
            config.demo = demo;
            telemetry::init_logging(config.log_format);
            let app = App::start(config).await?;
            if demo {
                let password =
                    demo_password.unwrap_or_else(|| crate::auth::random::alphanumeric(16));
                demo::seed(&app.state, &password).await?;
                demo::print_welcome(&app.state, &password);
            }
            tracing::info!(url = %app.url(), "OnePortal is listening");
            app.run_until_signal().await
        }
        Command::Seed {
            cases,
            organization,
            organizations,
            storage,
        } => {
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let result = demo::seed_cases(&db, &organization, organizations, cases).await;
            db.close().await;
            result
        }
        Command::Import {
            file: path,
            check,
            storage,
        } => {
            let config = load(file, storage, None)?;
            import_command(config, &path, check).await
        }
        Command::Migrate { storage } => {
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            println!("database is up to date");
            db.close().await;
            Ok(())
        }
        Command::Users { command } => users_command(file, command).await,
        Command::Staff { command } => staff_command(file, command).await,
        Command::Keys { command } => keys_command(file, command).await,
        Command::Config {
            command: ConfigCommand::Check { storage },
        } => {
            // Secrets print as "(hidden)".
            let config = load(file, storage, None)?;
            println!("configuration is valid:\n{}", toml_like(&config));
            Ok(())
        }
    }
}

async fn import_command(
    config: Config,
    path: &std::path::Path,
    check_only: bool,
) -> anyhow::Result<()> {
    use crate::services::import;

    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let document: import::ImportDocument = crate::http::json::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe(&e)))?;
    let state = crate::offline_state(config).await?;
    let result = async {
        let checked = import::check(&state, document)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe(&e)))?;
        if check_only {
            println!(
                "{}: valid, {} records to write; nothing written (--check)",
                path.display(),
                checked.records()
            );
            return Ok(());
        }
        let bar = indicatif::ProgressBar::new(checked.records()).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} records  {per_sec}  eta {eta}",
            )
            .expect("the template is valid"),
        );
        let actor = import::provider_actor(Actor::Cli);
        let summary = import::apply(&state, checked, &actor, &|n| bar.inc(n))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe(&e)))?;
        bar.finish_and_clear();
        // A closed pipe (`| head`) is the reader's choice, not a failure of the import.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(&summary)?
        );
        Ok(())
    }
    .await;
    state.db.close().await;
    result
}

/// An API error as lines a person at a terminal can act on.
fn describe(error: &crate::http::ApiError) -> String {
    let mut text = error.to_string();
    for field in error.field_errors() {
        text.push_str(&format!("\n  {}: {}", field.pointer, field.detail));
    }
    text
}

fn toml_like(config: &Config) -> String {
    serde_json::to_string_pretty(config).unwrap_or_default()
}

fn parse_permissions(text: &str) -> anyhow::Result<PermissionSet> {
    if text.trim().eq_ignore_ascii_case("all") {
        return Ok(PermissionSet::all());
    }
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| Permission::parse(p).with_context(|| format!("unknown permission '{}'", p.trim())))
        .collect()
}

/// Staff passwords follow the customers' rule: 12 characters at least, 1024 bytes at most.
async fn staff_password_hash(password: String) -> anyhow::Result<String> {
    if password.chars().count() < 12 {
        anyhow::bail!("passwords need at least 12 characters");
    }
    if password.len() > 1024 {
        anyhow::bail!("passwords are at most 1024 bytes");
    }
    crate::auth::password::hash(password).await
}

async fn staff_command(
    file: Option<&std::path::Path>,
    command: StaffCommand,
) -> anyhow::Result<()> {
    match command {
        StaffCommand::Create {
            email,
            name,
            role,
            password,
            storage,
        } => {
            let Some(role) = oneportal_domain::staff::StaffRole::parse(&role) else {
                anyhow::bail!("--role is Agent or Admin, not '{role}'");
            };
            let email =
                oneportal_domain::Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let hash = match password {
                Some(password) => Some(staff_password_hash(password).await?),
                None => None,
            };
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let id = users::insert_staff(&db, email.as_str(), name.trim(), role, hash.as_deref())
                .await?;
            println!("{}", oneportal_domain::ids::IdKind::Staff.format(id));
            Ok(())
        }
        StaffCommand::SetPassword {
            email,
            password,
            storage,
        } => {
            let hash = staff_password_hash(password).await?;
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let staff = users::find_staff_by_email(&db, &email.trim().to_lowercase())
                .await?
                .with_context(|| format!("no staff member with the email {email}"))?;
            oneportal_store::staff::set_password_hash(&db, staff.id, &hash).await?;
            let subject = oneportal_domain::ids::IdKind::Staff.format(staff.id);
            crate::audit::record(
                &db,
                crate::audit::Event::new(crate::audit::Actor::Cli, "staff.password_set")
                    .target("staff", subject.clone()),
            )
            .await?;
            println!("{subject}: password set");
            Ok(())
        }
        StaffCommand::Token {
            email,
            ttl,
            storage,
        } => {
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let master = open_master_key(&config, &db).await?;
            let ring = KeyRing::initialize(db.clone(), master, config.oauth.signing_alg).await?;
            let staff = users::find_staff_by_email(&db, &email.trim().to_lowercase())
                .await?
                .filter(|s| s.status == oneportal_domain::staff::StaffStatus::Active)
                .with_context(|| format!("no active staff member with the email {email}"))?;
            let authority = TokenAuthority::new(&config.public_url(config.bind));
            let token = crate::ops::auth::mint_staff_token(
                &db,
                &authority,
                &ring.current(),
                &staff,
                ttl.clamp(60, 3600),
            )
            .await?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn users_command(
    file: Option<&std::path::Path>,
    command: UsersCommand,
) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create {
            email,
            first_name,
            last_name,
            organization,
            permissions,
            password,
            storage,
        } => {
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let org_id = match orgs::find_organization_by_name(&db, &organization).await? {
                Some(org) => org.id,
                None => orgs::create_organization(&db, &organization).await?,
            };
            let input = services::users::NewUserInput {
                org_id,
                email: &email,
                first_name: &first_name,
                last_name: &last_name,
                permissions: parse_permissions(&permissions)?,
                password: Some(password),
            };
            let id = services::users::create(&db, &Actor::Cli, input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created {} ({email})",
                oneportal_domain::ids::IdKind::User.format(id)
            );
            Ok(())
        }
        UsersCommand::Token {
            email,
            ttl,
            storage,
        } => {
            let config = load(file, storage, None)?;
            let db = open_database(&config).await?;
            let master = open_master_key(&config, &db).await?;
            let ring = KeyRing::initialize(db.clone(), master, config.oauth.signing_alg).await?;
            let row = users::find_by_email(&db, &email.trim().to_lowercase())
                .await?
                .with_context(|| format!("no user with the email {email}"))?;
            let directory = crate::directory::Directory::default();
            let user = directory
                .user(&db, row.id)
                .await?
                .context("user vanished")?;
            let authority = TokenAuthority::new(&config.public_url(config.bind));
            let ttl = ttl
                .unwrap_or(config.oauth.user_token_ttl_secs)
                .clamp(60, 3600);
            let token = services::users::mint_user_token(
                &db,
                &authority,
                &ring.current(),
                &user,
                ttl,
                &Actor::Cli,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn keys_command(file: Option<&std::path::Path>, command: KeysCommand) -> anyhow::Result<()> {
    let storage = match &command {
        KeysCommand::List { storage } | KeysCommand::Rotate { storage } => StorageFlags {
            data_dir: storage.data_dir.clone(),
            database_url: storage.database_url.clone(),
            public_url: storage.public_url.clone(),
        },
    };
    let config = load(file, storage, None)?;
    let db = open_database(&config).await?;
    let master = open_master_key(&config, &db).await?;
    key_ring::ensure_keys(&db, &master, config.oauth.signing_alg).await?;
    if let KeysCommand::Rotate { .. } = command {
        let lifetime = config
            .oauth
            .access_token_ttl_secs
            .max(config.oauth.user_token_ttl_secs);
        let rotation = key_ring::rotate(&db, &master, config.oauth.signing_alg, lifetime).await?;
        audit::record(
            &db,
            Event::new(Actor::Cli, "signing_key.rotated")
                .target("signing_key", rotation.now_signing.clone())
                .details(serde_json::json!({ "next": rotation.next })),
        )
        .await?;
        // Running servers reload their keys on this notification (PostgreSQL only).
        let told = crate::cluster::notify_nodes(&db, &crate::cluster::Change::Keys).await;
        println!(
            "now signing with {}; next key {} is published",
            rotation.now_signing, rotation.next
        );
        match (&db, told) {
            (oneportal_store::Db::Pg(_), Ok(())) => {
                println!("running servers were told and pick this up within a second")
            }
            (oneportal_store::Db::Pg(_), Err(error)) => println!(
                "could not tell running servers ({error}); they pick this up within a minute"
            ),
            _ => println!(
                "a running server on this SQLite file picks this up within a minute (at once for a token signed with the new key)"
            ),
        }
    }
    println!(
        "{:<18} {:<6} {:<9} {:<22} retires",
        "kid", "alg", "state", "created"
    );
    for key in keys::list_all(&db).await? {
        println!(
            "{:<18} {:<6} {:<9} {:<22} {}",
            key.kid,
            key.alg,
            key.state,
            crate::http::time::rfc3339(key.created_at),
            key.retire_at
                .map(crate::http::time::rfc3339)
                .unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}
