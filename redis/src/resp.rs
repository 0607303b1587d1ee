//! What the store says to Redis and how it reads the answers, without I/O: the commands (encoded
//! by the redis crate), the two Lua scripts, the framing of one reply, and what each reply
//! means. The blocking and the async connection share all of it.

use chinaums::StoredToken;

use crate::target::Target;
use redis::Value;

/// The largest reply read: a token line is under 200 bytes. A key holding something else (a
/// prefix shared with another application) cannot make the store buffer megabytes.
pub(crate) const MAX_REPLY_BYTES: usize = 64 * 1024;

/// `publish`, atomically: store the token line unless the stored token expires later, expire
/// the key when the token does, then release the lease if it still holds this owner.
///
/// KEYS: token key, lease key. ARGV: the line, its expiry (Unix ms, decimal, from the line), the
/// `PEXPIREAT` argument (that expiry, at least 1 and at most `i64::MAX / 2`), the lease owner.
/// The expiries are compared as decimal strings (length, then digit by digit), so no precision
/// is lost and the server's collation locale plays no part. A stored value that is not a token
/// line is replaced. `SET` + `PEXPIREAT` (not `SET PXAT`) keeps this working on Redis < 6.2.
pub(crate) const PUBLISH_SCRIPT: &str = r"
local function at_least(a, b)
  a = string.match(a, '^0*(%d*)$')
  b = string.match(b, '^0*(%d*)$')
  if #a ~= #b then return #a > #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return true
end
local stored = redis.call('GET', KEYS[1])
local stored_expiry = stored and string.match(stored, '^%d+ (%d+) ')
local written = 0
if not stored_expiry or at_least(ARGV[2], stored_expiry) then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
  written = 1
end
if redis.call('GET', KEYS[2]) == ARGV[4] then
  redis.call('DEL', KEYS[2])
end
return written
";

/// `release`, atomically: delete the lease key only if it still holds this owner (a lease that
/// lapsed and was taken by another process stays theirs). KEYS: lease key. ARGV: the owner.
pub(crate) const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The longest expiry given to Redis, in ms: far beyond any token, and far from the overflow
/// that makes Redis refuse an expire time.
const MAX_EXPIRY_MS: u64 = (i64::MAX / 2) as u64;

/// One command and the name it goes by in error messages (never its arguments: they hold
/// tokens and passwords).
pub(crate) struct Command {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) fn get(key: &str) -> Command {
    Command {
        name: "GET",
        bytes: redis::cmd("GET").arg(key).get_packed_command(),
    }
}

/// `SET lease owner NX PX ttl`: the lease, unless someone holds it. At least 1 ms (`PX 0` is an
/// error in Redis).
pub(crate) fn set_lease(key: &str, owner: &str, ttl_ms: u128) -> Command {
    let ttl_ms = u64::try_from(ttl_ms)
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_EXPIRY_MS);
    Command {
        name: "SET NX",
        bytes: redis::cmd("SET")
            .arg(key)
            .arg(owner)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .get_packed_command(),
    }
}

/// The publish script for `token`. `EVAL` every time, not `EVALSHA`: one round trip, nothing to
/// redo after a restart or `SCRIPT FLUSH`, and it runs once per token refresh.
pub(crate) fn publish(
    token_key: &str,
    lease_key: &str,
    token: &StoredToken,
    owner: &str,
) -> Command {
    let line = token.to_line();
    // The expiry as the line states it, so the script compares exactly what it stores.
    let expiry = line.split(' ').nth(1).unwrap_or("0").to_owned();
    let pexpireat = expiry
        .parse::<u64>()
        .unwrap_or(MAX_EXPIRY_MS)
        .clamp(1, MAX_EXPIRY_MS);
    Command {
        name: "EVAL publish",
        bytes: redis::cmd("EVAL")
            .arg(PUBLISH_SCRIPT)
            .arg(2)
            .arg(token_key)
            .arg(lease_key)
            .arg(line)
            .arg(expiry)
            .arg(pexpireat)
            .arg(owner)
            .get_packed_command(),
    }
}

pub(crate) fn release(lease_key: &str, owner: &str) -> Command {
    Command {
        name: "EVAL release",
        bytes: redis::cmd("EVAL")
            .arg(RELEASE_SCRIPT)
            .arg(1)
            .arg(lease_key)
            .arg(owner)
            .get_packed_command(),
    }
}

/// `AUTH [username] password`, the first command on a connection to a server that needs it.
pub(crate) fn auth(username: Option<&str>, password: &str) -> Command {
    let mut cmd = redis::cmd("AUTH");
    if let Some(username) = username {
        cmd.arg(username);
    }
    Command {
        name: "AUTH",
        bytes: cmd.arg(password).get_packed_command(),
    }
}

pub(crate) fn select(db: i64) -> Command {
    Command {
        name: "SELECT",
        bytes: redis::cmd("SELECT").arg(db).get_packed_command(),
    }
}

/// The commands that open a session: `AUTH` if there is a password, `SELECT` unless db 0, each
/// with what it was for (for messages).
pub(crate) fn handshake(target: &Target) -> Vec<(Command, &'static str)> {
    let mut commands = Vec::new();
    if let Some(password) = &target.password {
        commands.push((auth(target.username.as_deref(), password), "authenticating"));
    }
    if target.db != 0 {
        commands.push((select(target.db), "selecting the database"));
    }
    commands
}

/// The length of the first complete reply in `buf`, `None` if more bytes are needed. Only
/// RESP2 (the store never asks for RESP3); anything else is a protocol error.
pub(crate) fn frame_len(buf: &[u8]) -> Result<Option<usize>, String> {
    let mut pos = 0;
    // Values still to read: 1, plus the elements of the arrays met on the way.
    let mut pending: usize = 1;
    while pending > 0 {
        let Some(line_len) = buf[pos..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let Some((&kind, line)) = buf[pos..pos + line_len].split_first() else {
            return Err("protocol error: empty line in a reply".into());
        };
        let next = pos + line_len + 2;
        pending -= 1;
        pos = match kind {
            b'+' | b'-' | b':' => next,
            b'$' => match length(line)? {
                None => next,
                Some(n) => {
                    let end = next + n + 2;
                    if buf.len() < end {
                        return Ok(None);
                    }
                    if &buf[end - 2..end] != b"\r\n" {
                        return Err("protocol error: bulk string without its CRLF".into());
                    }
                    end
                }
            },
            b'*' => {
                pending += length(line)?.unwrap_or(0);
                next
            }
            other => {
                return Err(format!(
                    "protocol error: unexpected reply type byte 0x{other:02x}"
                ));
            }
        };
    }
    Ok(Some(pos))
}

/// A `$` or `*` header's length: `None` for -1 (nil), at most [`MAX_REPLY_BYTES`].
fn length(digits: &[u8]) -> Result<Option<usize>, String> {
    if digits == b"-1" {
        return Ok(None);
    }
    std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|&n| n <= MAX_REPLY_BYTES)
        .map(Some)
        .ok_or_else(|| "protocol error: bad length in a reply".into())
}

/// Reads one complete frame (as measured by [`frame_len`]).
pub(crate) fn parse(frame: &[u8]) -> Result<Value, String> {
    redis::parse_redis_value(frame).map_err(|e| format!("protocol error: {e}"))
}

/// A reply that is an error from the server, as text.
fn refused(command: &str, value: &Value) -> Option<String> {
    match value {
        Value::ServerError(e) => Some(format!("{command} refused by the server: {e}")),
        _ => None,
    }
}

fn unexpected(command: &str, value: &Value) -> String {
    refused(command, value).unwrap_or_else(|| format!("unexpected reply to {command}: {value:?}"))
}

/// `GET token key`: a token line, or nothing. Unreadable contents read as no token.
pub(crate) fn loaded(value: Value) -> Result<Option<StoredToken>, String> {
    match value {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => Ok(std::str::from_utf8(&bytes)
            .ok()
            .and_then(StoredToken::from_line)),
        // Never echo the value: it would be a token.
        Value::ServerError(_) => Err(unexpected("GET", &value)),
        _ => Err("unexpected reply to GET".into()),
    }
}

/// `SET NX`: `OK` if taken, nil if someone holds the lease.
pub(crate) fn leased(value: Value) -> Result<bool, String> {
    match value {
        Value::Okay => Ok(true),
        Value::SimpleString(s) if s == "OK" => Ok(true),
        Value::Nil => Ok(false),
        other => Err(unexpected("SET NX", &other)),
    }
}

/// The scripts answer an integer.
pub(crate) fn done(command: &str, value: Value) -> Result<(), String> {
    match value {
        Value::Int(_) => Ok(()),
        other => Err(unexpected(command, &other)),
    }
}

/// `AUTH` and `SELECT` answer `OK`.
pub(crate) fn ok(command: &str, value: Value) -> Result<(), String> {
    match value {
        Value::Okay => Ok(()),
        Value::SimpleString(s) if s == "OK" => Ok(()),
        other => Err(unexpected(command, &other)),
    }
}
