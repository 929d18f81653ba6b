//! Configuration parsing: defaults, legacy names, and errors that name the variable.

use super::*;
use secrecy::ExposeSecret;

fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(vars.iter().map(|(k, v)| (*k, *v)))
}

#[test]
fn defaults_are_usable() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.server.port, 8080);
    assert_eq!(c.database.url.expose_secret(), DEFAULT_DATABASE_URL);
    assert_eq!(c.monday.api_version, "2026-10");
    assert_eq!(c.jwt.expiration_hours, 24);
    assert!(c.sandbox_mode());
    assert_eq!(
        c.mail.magic_link_url.as_str(),
        "http://127.0.0.1:8080/auth/magic"
    );
}

#[test]
fn legacy_names_are_accepted() {
    let c = cfg(&[
        ("MONDAY_API_KEY", "tok"),
        ("MONDAY_BOARD_ID", "123"),
        ("CALENDLY_API_KEY", "cal"),
        ("CLEVERLY_ADMIN_USER", "boss"),
        ("CLEVERLY_ADMIN_PASSWORD", "long-enough-pw"),
    ])
    .expect("config");
    assert_eq!(c.monday.tickets_board_id.as_deref(), Some("123"));
    assert!(c.monday.api_token.is_some());
    assert!(!c.sandbox_mode());
    assert_eq!(c.admin.admins[0].username, "boss");
}

#[test]
fn bad_values_name_the_variable() {
    let e = cfg(&[("PORT", "eighty")]).unwrap_err();
    assert_eq!(e.var, "PORT");
    assert!(e.to_string().contains("\"eighty\""), "{e}");
    assert_eq!(cfg(&[("LOG_FORMAT", "xml")]).unwrap_err().var, "LOG_FORMAT");
    assert_eq!(
        cfg(&[("MONDAY_BOARD_ID", "abc")]).unwrap_err().var,
        "MONDAY_BOARD_ID"
    );
    assert_eq!(
        cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
        "DATABASE_URL"
    );
    assert_eq!(
        cfg(&[("ADMIN_USER", "root")]).unwrap_err().var,
        "ADMIN_PASSWORD"
    );
    assert_eq!(
        cfg(&[("JWT_SECRET_KEY", "short")]).unwrap_err().var,
        "JWT_SECRET_KEY"
    );
    assert_eq!(
        cfg(&[("PIPELINE_CRON", "* *")]).unwrap_err().var,
        "PIPELINE_CRON"
    );
    assert_eq!(
        cfg(&[("SANDBOX_LEADS", "many")]).unwrap_err().var,
        "SANDBOX_LEADS"
    );
    assert_eq!(
        cfg(&[("SANDBOX_CLIENTS", "0")]).unwrap_err().var,
        "SANDBOX_CLIENTS"
    );
}

#[test]
fn auth_limits_have_defaults_and_are_validated() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.auth.magic_link_ttl_minutes, 15);
    assert_eq!(c.auth.login_max_failures, 5);
    let c = cfg(&[
        ("MAGIC_LINK_TTL_MINUTES", "60"),
        ("LOGIN_MAX_FAILURES", "3"),
    ])
    .expect("custom");
    assert_eq!(c.auth.magic_link_ttl_minutes, 60);
    assert_eq!(c.auth.login_max_failures, 3);
    for (var, value) in [
        ("MAGIC_LINK_TTL_MINUTES", "0"),
        ("MAGIC_LINK_TTL_MINUTES", "soon"),
        ("MAGIC_LINK_MAX_PER_HOUR", "0"),
        ("LOGIN_MAX_FAILURES", "-1"),
        ("LOGIN_THROTTLE_MINUTES", "999999"),
    ] {
        assert_eq!(cfg(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
    }
}

#[test]
fn caches_default_to_five_seconds_and_can_be_disabled() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.cache.identity_ttl, std::time::Duration::from_secs(5));
    assert_eq!(c.cache.response_ttl, std::time::Duration::from_secs(5));
    let c = cfg(&[
        ("CACHE_IDENTITY_TTL_MS", "0"),
        ("CACHE_RESPONSE_TTL_MS", "250"),
    ])
    .expect("custom");
    assert!(c.cache.identity_ttl.is_zero());
    assert_eq!(c.cache.response_ttl, std::time::Duration::from_millis(250));
    for (var, value) in [
        ("CACHE_IDENTITY_TTL_MS", "-1"),
        ("CACHE_RESPONSE_TTL_MS", "7200000"),
        ("CACHE_MAX_ENTRIES", "0"),
        ("CACHE_MAX_MB", "0"),
    ] {
        assert_eq!(cfg(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
    }
}

#[test]
fn smtp_tls_modes() {
    assert_eq!(cfg(&[]).expect("default").mail.smtp_tls, SmtpTls::Auto);
    let c = cfg(&[("SMTP_TLS", "starttls")]).expect("starttls");
    assert_eq!(c.mail.smtp_tls, SmtpTls::Starttls);
    assert_eq!(cfg(&[("SMTP_TLS", "maybe")]).unwrap_err().var, "SMTP_TLS");
}

#[test]
fn ticket_column_overrides() {
    let c = cfg(&[(
        "MONDAY_TICKET_COLUMNS",
        "status=status_1, Priority = color_2",
    )])
    .expect("config");
    assert_eq!(
        c.tickets.column_overrides.get("status").map(String::as_str),
        Some("status_1")
    );
    assert_eq!(
        c.tickets
            .column_overrides
            .get("priority")
            .map(String::as_str),
        Some("color_2")
    );
    let e = cfg(&[("MONDAY_TICKET_COLUMNS", "colour=c1")]).unwrap_err();
    assert_eq!(e.var, "MONDAY_TICKET_COLUMNS");
    assert_eq!(
        cfg(&[("MONDAY_TICKET_COLUMNS", "status")]).unwrap_err().var,
        "MONDAY_TICKET_COLUMNS"
    );
    assert_eq!(
        cfg(&[("OUTBOX_POLL_MS", "0")]).unwrap_err().var,
        "OUTBOX_POLL_MS"
    );
    assert_eq!(
        cfg(&[
            ("OUTBOX_RETRY_BASE_MS", "9000"),
            ("OUTBOX_RETRY_MAX_MS", "10")
        ])
        .unwrap_err()
        .var,
        "OUTBOX_RETRY_BASE_MS"
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let c = cfg(&[
        ("MONDAY_API_TOKEN", "monday-token-value"),
        ("JWT_SECRET_KEY", "jwt-secret-value-that-is-long-enough"),
        ("SMTP_PASSWORD", "smtp-password-value"),
        ("ADMIN_USER", "admin"),
        ("ADMIN_PASSWORD", "admin-password-value"),
        ("DATABASE_URL", "postgres://u:db-password-value@h/db"),
    ])
    .expect("config");
    let debug = format!("{c:?}");
    for secret in [
        "monday-token-value",
        "jwt-secret-value",
        "smtp-password-value",
        "admin-password-value",
        "db-password-value",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug output");
    }
}

#[test]
fn pipeline_settings() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.pipeline.cron, "0 0 */4 * * *");
    assert!(c.pipeline.run_on_startup);
    assert_eq!(c.pipeline.calendly_days_back, 365);
    assert_eq!(c.pipeline.calendly_days_ahead, 90);
    let e = cfg(&[("PIPELINE_CRON", "0 */4 * * *")]).unwrap_err();
    assert_eq!(e.var, "PIPELINE_CRON", "five fields lack the seconds");
    assert_eq!(
        cfg(&[("PIPELINE_CRON", "0 0 99 * * *")]).unwrap_err().var,
        "PIPELINE_CRON"
    );
    let c = cfg(&[(
        "PIPELINE_ORIGIN_MAP",
        "intro-call=Website, Partner Demo = Referral",
    )])
    .expect("map");
    assert_eq!(
        c.pipeline.origin_of(Some("x"), Some("INTRO-CALL")),
        Some("Website")
    );
    assert_eq!(
        c.pipeline.origin_of(Some("partner demo"), None),
        Some("Referral")
    );
    assert_eq!(c.pipeline.origin_of(Some("other"), None), None);
    assert_eq!(
        cfg(&[("PIPELINE_ORIGIN_MAP", "nolabel")]).unwrap_err().var,
        "PIPELINE_ORIGIN_MAP"
    );
    assert_eq!(
        cfg(&[("PIPELINE_RUN_ON_STARTUP", "maybe")])
            .unwrap_err()
            .var,
        "PIPELINE_RUN_ON_STARTUP"
    );
}

#[test]
fn graphql_limits() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.graphql.max_body_bytes, 1024 * 1024);
    assert_eq!(c.graphql.max_batch, 10);
    assert_eq!(c.graphql.apq_cache_bytes, 16 * 1024 * 1024);
    let c = cfg(&[
        ("GRAPHQL_MAX_BODY_BYTES", "65536"),
        ("GRAPHQL_MAX_BATCH", "1"),
        ("GRAPHQL_APQ_CACHE_MB", "0"),
    ])
    .expect("config");
    assert_eq!(c.graphql.max_body_bytes, 65536);
    assert_eq!(c.graphql.max_batch, 1);
    assert_eq!(c.graphql.apq_cache_bytes, 0);
    for (var, bad) in [
        ("GRAPHQL_MAX_BODY_BYTES", "12"),
        ("GRAPHQL_MAX_BODY_BYTES", "1MB"),
        ("GRAPHQL_MAX_BATCH", "0"),
        ("GRAPHQL_APQ_CACHE_MB", "99999"),
    ] {
        assert_eq!(cfg(&[(var, bad)]).unwrap_err().var, var, "{var}={bad}");
    }
}

#[test]
fn internal_markers_default_and_parse() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(
        c.tickets.internal_markers,
        ["[internal]", "#internal", "🔒"]
    );
    let c = cfg(&[("TICKET_INTERNAL_MARKERS", " [Staff] , ,NOTE: ")]).expect("markers");
    assert_eq!(c.tickets.internal_markers, ["[staff]", "note:"]);
    assert_eq!(
        cfg(&[("TICKET_INTERNAL_MARKERS", " , ")]).unwrap_err().var,
        "TICKET_INTERNAL_MARKERS"
    );
    assert_eq!(
        cfg(&[("TICKET_INTERNAL_MARKERS", &"x".repeat(33))])
            .unwrap_err()
            .var,
        "TICKET_INTERNAL_MARKERS"
    );
}

#[test]
fn notification_settings_are_bounded() {
    let c = cfg(&[]).expect("defaults");
    assert_eq!(c.notify.debounce, std::time::Duration::from_secs(60));
    assert_eq!(c.notify.link_ttl, chrono::Duration::hours(72));
    let c = cfg(&[("NOTIFY_DEBOUNCE_SECONDS", "0")]).expect("zero sends at once");
    assert!(c.notify.debounce.is_zero());
    for (var, bad) in [
        ("NOTIFY_DEBOUNCE_SECONDS", "-1"),
        ("NOTIFY_DEBOUNCE_SECONDS", "86401"),
        ("NOTIFY_LINK_TTL_HOURS", "0"),
        ("NOTIFY_LINK_TTL_HOURS", "721"),
    ] {
        assert_eq!(cfg(&[(var, bad)]).unwrap_err().var, var, "{var}={bad}");
    }
}

#[test]
fn trusted_proxies_are_addresses_or_ranges() {
    let c = cfg(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).expect("proxies");
    assert_eq!(c.server.trusted_proxies.len(), 2);
    assert!(
        cfg(&[])
            .expect("defaults")
            .server
            .trusted_proxies
            .is_empty()
    );
    assert_eq!(
        cfg(&[("TRUSTED_PROXIES", "10.0.0.0/40")]).unwrap_err().var,
        "TRUSTED_PROXIES"
    );
}
