//! The argument groups the commands share, declared once and flattened into each command:
//!
//! - [`CredentialArgs`]: `--app-id`, `--app-key` (every command that signs: the API commands
//!   and `sign`);
//! - [`MerchantArgs`]: `--mid`, `--tid`, `--inst-mid`, checked into a [`chinaums::Merchant`];
//! - [`ConnectionArgs`]: `--env`, `--timeout`, `--sandbox`, `--auth`;
//! - [`ApiArgs`]: all three plus `--json`, what every API command (`query`, `refund`, …)
//!   flattens; [`crate::connect::execute`] turns it into a client and runs the operation;
//! - [`AmountArgs`]: `--amount YUAN` or `--fen FEN`, for the commands that move one amount;
//!   amounts are read by [`parse_yuan`], [`parse_fen`] and, for a sub-merchant's share,
//!   [`parse_share`] (`MID=AMOUNT`), exactly (never through floating point).
//!
//! A new API command declares only its own flags and flattens [`ApiArgs`]; the rules of the
//! values (an appId, a merchant number, …) are the core's, never repeated here.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chinaums::{
    AppId, ConfigErrorKind, Environment, Error, Fen, InstMid, InvalidField, MAX_TIMEOUT, Mid,
    Nonce, SubOrder, Tid, TransportConfig,
};
use clap::{Args, ValueEnum};

use crate::exit::CliError;

/// A setting a command reads from a flag or an environment variable, named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The flag, e.g. `--mid`.
    pub flag: &'static str,
    /// The environment variable, e.g. `CHINAUMS_MID`.
    pub var: &'static str,
    /// What it is, in a few words.
    pub what: &'static str,
}

impl Setting {
    /// `--mid (or CHINAUMS_MID)`, for hints.
    pub fn source(&self) -> String {
        format!("{} (or {})", self.flag, self.var)
    }
}

/// `--app-id` / `CHINAUMS_APP_ID`.
pub const APP_ID: Setting = Setting {
    flag: "--app-id",
    var: chinaums::APP_ID_VAR,
    what: "the appId",
};
/// `--app-key` / `CHINAUMS_APP_KEY`.
pub const APP_KEY: Setting = Setting {
    flag: "--app-key",
    var: chinaums::APP_KEY_VAR,
    what: "the appKey",
};
/// `--env` / `CHINAUMS_ENV`.
pub const ENV: Setting = Setting {
    flag: "--env",
    var: chinaums::ENV_VAR,
    what: "production, test or a base URL",
};
/// `--mid` / `CHINAUMS_MID`.
pub const MID: Setting = Setting {
    flag: "--mid",
    var: "CHINAUMS_MID",
    what: "the merchant number",
};
/// `--tid` / `CHINAUMS_TID`.
pub const TID: Setting = Setting {
    flag: "--tid",
    var: "CHINAUMS_TID",
    what: "the terminal number",
};
/// `--inst-mid` / `CHINAUMS_INST_MID`.
pub const INST_MID: Setting = Setting {
    flag: "--inst-mid",
    var: "CHINAUMS_INST_MID",
    what: "the business type",
};

/// The shared setting a field of the core comes from (by the field's wire name), for the hint
/// of an [`InvalidField`] error.
pub fn setting_for_field(field: &str) -> Option<Setting> {
    Some(match field {
        Mid::FIELD => MID,
        Tid::FIELD => TID,
        InstMid::FIELD => INST_MID,
        AppId::FIELD => APP_ID,
        _ => return None,
    })
}

/// A value that is set: `None` and the empty string are not.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// A secret flag value (the appKey): its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// The appId and appKey, from flags or the environment.
#[derive(Args, Debug)]
#[command(next_help_heading = "Credentials")]
pub struct CredentialArgs {
    /// The appId from the developer console.
    #[arg(long, env = APP_ID.var, value_name = "ID")]
    pub app_id: Option<String>,

    /// The appKey (secret). Prefer CHINAUMS_APP_KEY, which keeps it out of shell history.
    #[arg(long, env = APP_KEY.var, hide_env_values = true, value_name = "KEY")]
    pub app_key: Option<Secret>,
}

impl CredentialArgs {
    /// The appId and the appKey when both are set (non-empty); each one that is not is added
    /// to `missing`.
    pub fn given(&self, missing: &mut Vec<Setting>) -> Option<(&str, &str)> {
        let app_id = given(self.app_id.as_deref());
        let app_key = given(self.app_key.as_ref().map(Secret::expose));
        if app_id.is_none() {
            missing.push(APP_ID);
        }
        if app_key.is_none() {
            missing.push(APP_KEY);
        }
        app_id.zip(app_key)
    }
}

/// The merchant a request is made for.
#[derive(Args, Debug)]
#[command(next_help_heading = "Merchant")]
pub struct MerchantArgs {
    /// The merchant number (mid, 15 characters).
    #[arg(long, env = MID.var, value_name = "MID")]
    pub mid: Option<String>,

    /// The terminal number (tid, 8 characters).
    #[arg(long, env = TID.var, value_name = "TID")]
    pub tid: Option<String>,

    /// The business type (instMid) the order was created with, e.g. YUEDANDEFAULT, MINIDEFAULT.
    #[arg(long, env = INST_MID.var, value_name = "INST_MID")]
    pub inst_mid: Option<String>,
}

impl MerchantArgs {
    /// The three fields when all are set, each unset one taken from `defaults` if given (the
    /// demo merchant under `--sandbox`), else added to `missing`. Not checked yet: see
    /// [`MerchantArgs::merchant`].
    pub fn given(
        &self,
        defaults: Option<[&str; 3]>,
        missing: &mut Vec<Setting>,
    ) -> Option<[String; 3]> {
        let values = [&self.mid, &self.tid, &self.inst_mid];
        let settings = [MID, TID, INST_MID];
        let mut out: [Option<String>; 3] = Default::default();
        for i in 0..3 {
            out[i] = match (given(values[i].as_deref()), defaults) {
                (Some(v), _) => Some(v.to_owned()),
                (None, Some(defaults)) => Some(defaults[i].to_owned()),
                (None, None) => {
                    missing.push(settings[i]);
                    None
                }
            };
        }
        let [mid, tid, inst_mid] = out;
        Some([mid?, tid?, inst_mid?])
    }

    /// The [`chinaums::Merchant`] of [`MerchantArgs::given`]'s fields, checked by the core; the
    /// error names the first field that breaks its rule.
    pub fn merchant([mid, tid, inst_mid]: [String; 3]) -> Result<chinaums::Merchant, InvalidField> {
        chinaums::Merchant::new(mid, tid, inst_mid)
    }
}

/// OPEN-BODY-SIG or OPEN-ACCESS-TOKEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// OPEN-BODY-SIG: every request signed over its body.
    BodySig,
    /// OPEN-ACCESS-TOKEN: fetch a token, then send it with each request.
    Token,
}

impl From<AuthArg> for chinaums::AuthScheme {
    fn from(auth: AuthArg) -> Self {
        match auth {
            AuthArg::BodySig => chinaums::AuthScheme::BodySig,
            AuthArg::Token => chinaums::AuthScheme::AccessToken,
        }
    }
}

/// Where API commands connect, and how.
#[derive(Args, Debug)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// The gateway: `production`, `test`, or a base URL such as http://127.0.0.1:8080.
    // Read as text and checked by [`ConnectionArgs::environment`], not by a clap value parser:
    // clap's "invalid value" message would repeat the value, password and all.
    #[arg(long = "env", env = ENV.var, value_name = "ENV")]
    pub environment: Option<String>,

    /// The total time one HTTP exchange may take, e.g. `30s`, `500ms`; at most `1h`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Run against an in-process sandbox (127.0.0.1, ephemeral port) holding demo orders,
    /// using its credentials; --mid/--tid/--inst-mid default to the demo merchant. --env,
    /// --app-id and --app-key are ignored.
    #[arg(long)]
    pub sandbox: bool,

    /// How to authenticate: `body-sig` (OPEN-BODY-SIG, every request signed) or `token`
    /// (OPEN-ACCESS-TOKEN, a token fetched first). Default: body-sig.
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub auth: Option<AuthArg>,
}

impl ConnectionArgs {
    /// The gateway named by `--env` or `CHINAUMS_ENV`, `None` when neither is set. A value
    /// that is not one is a usage error (exit 2) that never repeats a `user:password@` part.
    pub fn environment(&self) -> Result<Option<Environment>, CliError> {
        match self.environment.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Ok(None),
            Some(s) => parse_environment(s)
                .map(Some)
                .map_err(|why| CliError::usage(format!("invalid --env (or {}): {why}", ENV.var))),
        }
    }

    /// `--auth`, OPEN-BODY-SIG by default.
    pub fn auth(&self) -> chinaums::AuthScheme {
        self.auth.unwrap_or(AuthArg::BodySig).into()
    }

    /// The transport settings: `--timeout`.
    pub fn transport(&self) -> TransportConfig {
        TransportConfig::new().with_timeout(self.timeout)
    }
}

/// What every API command shares: how to print the answer, where to connect, as whom, and for
/// which merchant. Flatten it into the command's own arguments.
#[derive(Args, Debug)]
pub struct ApiArgs {
    /// Print the whole typed answer as JSON instead of a summary. An error is then a JSON
    /// object on stdout too: class, errCode, message, hint, httpStatus, delivery, followUp,
    /// exitCode.
    #[arg(long)]
    pub json: bool,

    /// `--env`, `--timeout`, `--sandbox`, `--auth`.
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// `--app-id`, `--app-key`.
    #[command(flatten)]
    pub credentials: CredentialArgs,

    /// `--mid`, `--tid`, `--inst-mid`.
    #[command(flatten)]
    pub merchant: MerchantArgs,
}

/// One amount, in yuan (`--amount 1.23`) or in fen (`--fen 123`): exactly one of the two.
#[derive(Args, Debug, Clone, Copy)]
#[group(required = true, multiple = false)]
pub struct AmountArgs {
    /// The amount in yuan, at most two decimals, e.g. 1.23 (read exactly, never rounded).
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
    pub amount: Option<Fen>,

    /// The amount in fen (integer, 1 yuan = 100 fen), e.g. 123; instead of --amount.
    #[arg(long, value_name = "FEN", value_parser = parse_fen)]
    pub fen: Option<Fen>,
}

impl AmountArgs {
    /// The amount given (clap makes sure there is one); zero if none, which the core refuses.
    pub fn get(&self) -> Fen {
        self.amount.or(self.fen).unwrap_or(Fen::ZERO)
    }
}

/// An amount in yuan with at most two decimals (`12`, `0.5`, `1.23`), more than zero; read by
/// [`Fen::from_yuan`], exactly. The message is what clap shows after the flag's name.
pub fn parse_yuan(s: &str) -> Result<Fen, String> {
    positive(parse_yuan_or_zero(s)?)
}

/// [`parse_yuan`] allowing zero (a share that may be nothing, e.g. the platform's).
pub fn parse_yuan_or_zero(s: &str) -> Result<Fen, String> {
    Fen::from_yuan(s.trim()).ok_or_else(|| {
        "expected an amount in yuan with at most two decimals, e.g. 12, 0.5 or 1.23 \
         (no sign, no grouping, no third decimal)"
            .to_owned()
    })
}

/// An amount in fen: ASCII digits (`123`), more than zero.
pub fn parse_fen(s: &str) -> Result<Fen, String> {
    positive(parse_fen_or_zero(s)?)
}

/// [`parse_fen`] allowing zero.
pub fn parse_fen_or_zero(s: &str) -> Result<Fen, String> {
    Fen::parse(s.trim()).ok_or_else(|| {
        "expected an amount in fen: a whole number such as 123 (1 yuan = 100 fen)".to_owned()
    })
}

fn positive(fen: Fen) -> Result<Fen, String> {
    if fen == Fen::ZERO {
        return Err("the amount must be more than zero".to_owned());
    }
    Ok(fen)
}

/// A sub-merchant's share, `MID=AMOUNT` with the amount in yuan (`898201612345679=0.90`); the
/// merchant number follows the core's rule ([`Mid`]), the amount [`parse_yuan`]'s.
pub fn parse_share(s: &str) -> Result<SubOrder, String> {
    share(s, "yuan, e.g. 898201612345679=0.90", parse_yuan)
}

/// [`parse_share`] with the amount in fen (`898201612345679=90`).
pub fn parse_share_fen(s: &str) -> Result<SubOrder, String> {
    share(s, "fen, e.g. 898201612345679=90", parse_fen)
}

fn share(
    s: &str,
    example: &str,
    amount: fn(&str) -> Result<Fen, String>,
) -> Result<SubOrder, String> {
    let Some((mid, value)) = s.split_once('=') else {
        return Err(format!("expected MID=AMOUNT, the amount in {example}"));
    };
    let mid = Mid::new(mid.trim()).map_err(|e| format!("the merchant number (MID): {}", e.rule))?;
    let fen = amount(value).map_err(|why| format!("the amount after `=`: {why}"))?;
    Ok(SubOrder::new(mid, fen))
}

/// `production`, `test` or a base URL (the core's [`Environment`] parser, whose message shows a
/// base URL without its `user:password@` part).
pub fn parse_environment(s: &str) -> Result<Environment, String> {
    s.parse().map_err(|e| match e {
        Error::Config(why) => why.message,
        other => other.to_string(),
    })
}

/// A human duration such as `30s`, `500ms` or `1m` that the SDK accepts: more than zero and
/// at most [`MAX_TIMEOUT`]. Checked here so that a bad value is a usage error, not a failure
/// when the client is built.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; expected a duration such as 30s or 500ms"))?;
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    // The core's own rule, so the two cannot drift apart.
    match TransportConfig::new().with_timeout(d).validate() {
        Ok(()) => Ok(d),
        Err(Error::Config(e)) if e.kind == ConfigErrorKind::Timeout => Err(format!(
            "the timeout must be at most {}",
            humantime::format_duration(MAX_TIMEOUT)
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Exactly `yyyyMMddHHmmss`, a valid date and time.
pub fn parse_auth_timestamp(s: &str) -> Result<String, String> {
    if chinaums::timestamps::is_auth_timestamp(s) {
        Ok(s.to_owned())
    } else {
        Err(
            "expected yyyyMMddHHmmss: 14 digits, a valid Beijing date and time, \
             e.g. 20240101120000"
                .into(),
        )
    }
}

/// A nonce, by the core's rule ([`Nonce`]); the message is the rule it breaks.
pub fn parse_nonce(s: &str) -> Result<Nonce, String> {
    Nonce::new(s).map_err(|e| e.rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Cli;
    use clap::CommandFactory;

    #[test]
    fn environments() {
        assert_eq!(parse_environment("test"), Ok(Environment::Test));
        assert_eq!(parse_environment("production"), Ok(Environment::Production));
        assert_eq!(
            parse_environment("http://127.0.0.1:9/"),
            Ok(Environment::custom("http://127.0.0.1:9").unwrap())
        );
        let e = parse_environment("staging").unwrap_err();
        assert!(e.contains("`production`, `test`"), "{e}");
        let e = parse_environment("http://user:PW@127.0.0.1:9").unwrap_err();
        assert!(
            e.contains("http://***@127.0.0.1:9") && !e.contains("PW"),
            "{e}"
        );
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1h"), Ok(MAX_TIMEOUT));
        assert!(
            parse_timeout("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(parse_timeout("soon").is_err());
        let e = parse_timeout("18446744073709551615s").unwrap_err();
        assert!(e.contains("at most 1h"), "{e}");
        assert!(parse_timeout("1h 1ns").unwrap_err().contains("at most 1h"));
    }

    #[test]
    fn timestamps_and_nonces_follow_the_core() {
        assert!(parse_auth_timestamp("20240101120000").is_ok());
        for bad in ["2024010112000", "20241301120000", "2024-01-01 12:00", ""] {
            assert!(parse_auth_timestamp(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_nonce("abc").map(|n| n.into_string()),
            Ok("abc".into())
        );
        for bad in ["", "a b", "a,b", "a\"b", &"x".repeat(129)] {
            assert_eq!(
                parse_nonce(bad).unwrap_err(),
                Nonce::new(bad).unwrap_err().rule,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s: Secret = "hunter2".parse().unwrap_or_else(|e| match e {});
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    /// The settings named in errors are the flags and variables clap really reads.
    #[test]
    fn settings_match_the_command_line() {
        let cli = Cli::command();
        let query = cli.find_subcommand("query").expect("query");
        for setting in [APP_ID, APP_KEY, ENV, MID, TID, INST_MID] {
            let arg = query
                .get_arguments()
                .find(|a| a.get_long().map(|l| format!("--{l}")).as_deref() == Some(setting.flag))
                .unwrap_or_else(|| panic!("{} is not a flag of query", setting.flag));
            assert_eq!(
                arg.get_env().and_then(|v| v.to_str()),
                Some(setting.var),
                "{}",
                setting.flag
            );
        }
        for (field, setting) in [
            ("mid", MID),
            ("tid", TID),
            ("instMid", INST_MID),
            ("appId", APP_ID),
        ] {
            assert_eq!(setting_for_field(field), Some(setting));
        }
        assert_eq!(setting_for_field("merOrderId"), None);
    }

    #[test]
    fn merchant_fields_missing_defaulted_and_checked_by_the_core() {
        let args = MerchantArgs {
            mid: Some("898201612345678".into()),
            tid: Some(String::new()),
            inst_mid: None,
        };
        let mut missing = Vec::new();
        assert_eq!(args.given(None, &mut missing), None);
        assert_eq!(missing, [TID, INST_MID]);

        let mut missing = Vec::new();
        let fields = args
            .given(Some(["x", "88880001", "YUEDANDEFAULT"]), &mut missing)
            .unwrap();
        assert!(missing.is_empty());
        assert_eq!(fields[0], "898201612345678", "a given value wins");
        let merchant = MerchantArgs::merchant(fields).unwrap();
        assert_eq!(merchant.tid, "88880001");

        let bad =
            MerchantArgs::merchant(["12345".into(), "88880001".into(), "YUEDANDEFAULT".into()])
                .unwrap_err();
        assert_eq!(bad, Mid::new("12345").unwrap_err());
    }

    #[test]
    fn yuan_amounts_are_read_exactly() {
        for (text, fen) in [
            ("1.23", 123),
            ("0.5", 50),
            ("12", 1200),
            ("0.01", 1),
            ("100.00", 10000),
            (" 2.30 ", 230),
            ("0.29", 29),
            ("1.10", 110),
            ("184467440737095516.15", u64::MAX),
        ] {
            assert_eq!(parse_yuan(text), Ok(Fen(fen)), "{text:?}");
            assert_eq!(parse_yuan_or_zero(text), Ok(Fen(fen)), "{text:?}");
        }
        for bad in [
            "",
            "1.234",
            "-1",
            "+1",
            "1,00",
            "1e2",
            ".5",
            "5.",
            "1.2.3",
            "¥1",
            "1 000",
            "０.５",
            "NaN",
            "inf",
            "184467440737095516.16",
            "0x10",
        ] {
            let e = parse_yuan(bad).unwrap_err();
            assert!(e.contains("at most two decimals"), "{bad:?}: {e}");
        }
        for zero in ["0", "0.0", "0.00", "00"] {
            assert_eq!(
                parse_yuan(zero).unwrap_err(),
                "the amount must be more than zero"
            );
            assert_eq!(parse_yuan_or_zero(zero), Ok(Fen::ZERO));
        }
    }

    #[test]
    fn fen_amounts_are_whole_numbers() {
        assert_eq!(parse_fen("123"), Ok(Fen(123)));
        assert_eq!(parse_fen("18446744073709551615"), Ok(Fen(u64::MAX)));
        for bad in [
            "",
            "1.5",
            "-1",
            "+1",
            "18446744073709551616",
            "1_000",
            "12fen",
        ] {
            assert!(
                parse_fen(bad).unwrap_err().contains("whole number"),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_fen("0").unwrap_err(),
            "the amount must be more than zero"
        );
        assert_eq!(parse_fen_or_zero("0"), Ok(Fen::ZERO));
    }

    #[test]
    fn shares_are_a_merchant_number_and_an_amount() {
        let share = parse_share("898201612345679=0.90").unwrap();
        assert_eq!(
            (share.mid.as_str(), share.total_amount),
            ("898201612345679", Fen(90))
        );
        assert_eq!(share.mer_order_id, None);
        let share = parse_share_fen("898201612345679=90").unwrap();
        assert_eq!(share.total_amount, Fen(90));
        // Only the first `=` separates: the rest belongs to the amount, which refuses it.
        let e = parse_share("898201612345679=1=2").unwrap_err();
        assert!(e.starts_with("the amount after `=`"), "{e}");
        let e = parse_share("898201612345679").unwrap_err();
        assert_eq!(
            e,
            "expected MID=AMOUNT, the amount in yuan, e.g. 898201612345679=0.90"
        );
        let e = parse_share("12345=1").unwrap_err();
        assert_eq!(
            e,
            format!(
                "the merchant number (MID): {}",
                Mid::new("12345").unwrap_err().rule
            )
        );
        let e = parse_share("898201612345679=0").unwrap_err();
        assert_eq!(e, "the amount after `=`: the amount must be more than zero");
        let e = parse_share_fen("898201612345679=0.90").unwrap_err();
        assert!(e.contains("whole number"), "{e}");
    }

    /// No input makes an amount or share parser panic, and what they accept is exactly what
    /// the core reads: every string up to 4 symbols over an alphabet of the characters that
    /// matter, then longer pseudo-random ones (a fixed xorshift sequence, so failures repeat).
    #[test]
    fn no_input_panics_the_amount_parsers() {
        const ALPHABET: [&str; 16] = [
            "0",
            "1",
            "9",
            ".",
            "=",
            "-",
            "+",
            " ",
            "e",
            "a",
            "测",
            "\u{0}",
            "\u{301}",
            "٣",
            "898201612345679",
            "18446744073709551615",
        ];
        let check = |input: &str| {
            let yuan = parse_yuan_or_zero(input);
            assert_eq!(yuan.ok(), Fen::from_yuan(input.trim()), "{input:?}");
            if let Ok(fen) = parse_yuan(input) {
                assert!(fen > Fen::ZERO, "{input:?}");
            }
            assert_eq!(
                parse_fen_or_zero(input).ok(),
                Fen::parse(input.trim()),
                "{input:?}"
            );
            let _ = parse_fen(input);
            for share in [parse_share(input), parse_share_fen(input)]
                .into_iter()
                .flatten()
            {
                assert!(share.total_amount > Fen::ZERO, "{input:?}");
                assert!(input.starts_with(share.mid.as_str()) || input.starts_with(' '));
            }
        };
        let mut inputs = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = last
                .iter()
                .flat_map(|prefix| ALPHABET.iter().map(move |s| format!("{prefix}{s}")))
                .collect();
            inputs.extend(next.iter().cloned());
            last = next;
        }
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (random() % 40) as usize;
            let input: String = (0..len)
                .map(|_| ALPHABET[(random() % ALPHABET.len() as u64) as usize])
                .collect();
            inputs.push(input);
        }
        for input in &inputs {
            check(input);
        }
        // Some of them were accepted: the check above is not vacuous.
        assert!(inputs.iter().filter(|i| parse_share(i).is_ok()).count() > 10);
    }
}
