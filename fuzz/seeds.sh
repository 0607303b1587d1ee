#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into DIR/<target>/ (default: fuzz/corpus), from the
# repository's test data: the answers in tests/data/**, the notification and OPEN-FORM-PARAM
# vectors of the core's tests, the raw requests of the sandbox's wire tests. Each input is in
# the format its target documents at its top. Existing files are kept (a corpus grows).
#
#   bash fuzz/seeds.sh [DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${1:-$here/corpus}"
data="$root/tests/data"

seed() { # seed TARGET NAME: stdin into DIR/TARGET/seed-NAME
  mkdir -p "$out/$1"
  cat > "$out/$1/seed-$2"
}
hex() { # hex 0a 1f ...: those bytes
  local b
  for b in "$@"; do printf "\\x$b"; done
}
answers() { find "$data" -name '*.json' | sort; }
name() { # a seed name from a test data path: query_documented_answer
  local rel="${1#"$data"/}"
  rel="${rel%.json}"
  printf '%s' "${rel//\//_}"
}

# parse_answer, token_answer: `NNN\n` then a body. ------------------------------------------
for f in $(answers); do
  n=$(name "$f")
  { printf '200\n'; cat "$f"; } | seed parse_answer "$n"
  # The same body on an error status: the status decides, unless the body is a sound errCode.
  { printf '502\n'; cat "$f"; } | seed parse_answer "$n-502"
done
printf '200\n{"errCode":"NO_ORDER","errMsg":"订单不存在"}' | seed parse_answer no-order
printf '200\n{"errCode":"SUCCESS","status":"TRADE_SUCCESS","status":"TRADE_CLOSED"}' | seed parse_answer repeated-status
printf '200\n{"errCode":"SUCCESS","billStatus":"PAID","st\\u0061tus":"A","status":"B"}' | seed parse_answer repeated-escaped-status
printf '200\n{"errCode":"TARGET_FAIL","amount":1e400}' | seed parse_answer out-of-range
printf '404\n<html>nope</html>' | seed parse_answer html-404

printf '200\n{"errCode":"0000","errInfo":"正常","accessToken":"30fabba831a447699f5a1fc056dfd4ee","expiresIn":3600}' | seed token_answer documented
printf '200\n{"errCode":"0000","accessToken":"abc","expiresIn":"60"}' | seed token_answer as-string
printf '200\n{"errCode":"0000","accessToken":"abc","expiresIn":18446744073709551615}' | seed token_answer u64-max
printf '200\n{"errCode":"0000","accessToken":"abc","expiresIn":1e30}' | seed token_answer float
printf '200\n{"errCode":"0000","accessToken":"secret-token","expiresIn":-5}' | seed token_answer negative
printf '200\n{"errCode":"1002","errInfo":"AppId不存在"}' | seed token_answer unknown-app
printf '401\n{"errCode":"BAD_SIGN","errInfo":"签名错误"}' | seed token_answer bad-sign
printf '500\noops' | seed token_answer oops

# notify_verify: `CT <type>\n` then a body, or a body. The vectors of tests/notify.rs (key
# test-notify-key-0123456789). -------------------------------------------------------------
unsigned='mid=898201612345678&merOrderId=31942024010112000000001234&status=TRADE_SUCCESS&totalAmount=100&attachedData=a%2Bb%25c%26d%3De+%E6%B5%8B%E8%AF%95&billFunds=%E7%8E%B0%E9%87%91%3A100&notifyId=n-0001&Ru=NcFv&couponAmount=&payTime=2024-01-01+12%3A00%3A05'
printf '%s' "$unsigned&signType=SHA256&sign=B73F7FA620B06FDFE9FC18197E4A2B2DB80051DD4FBE7553E680A8D16C1154C9" | seed notify_verify sha256
printf 'CT application/x-www-form-urlencoded\n%s' "$unsigned&signType=MD5&sign=B9EC64126525F759207812E0B6C846F6" | seed notify_verify md5
printf '%s' "$unsigned&sign=0A5F23BC3AADE1B9A2B7A750CD89F585" | seed notify_verify untyped-md5
printf '%s' "$unsigned&sign=8EA27B273F6F1AD321E34F5E1139AD28AB585BAFAF904E9D201F85A8D0B03D85" | seed notify_verify untyped-sha256
printf 'CT application/json\n{"sign":"A","sign":"B"}' | seed notify_verify json-repeated
printf 'CT application/json\n{"mid":"898201612345678","status":"TRADE_SUCCESS","totalAmount":100,"signType":"SHA256","sign":"00"}' | seed notify_verify json

# notify_mutation: hash, encoding, content type, key length and key, position (4), kind, byte,
# then `name=value` lines: the same vector's fields, a refund's and a bill's. --------------
fields='mid=898201612345678
merOrderId=31942024010112000000001234
status=TRADE_SUCCESS
totalAmount=100
attachedData=a+b%c&d=e 测试
billFunds=现金:100
notifyId=n-0001
Ru=NcFv
couponAmount=
payTime=2024-01-01 12:00:05'
for mode in 00 01 02 03; do
  for encoding in 00 01; do
    { hex "$mode" "$encoding" 00 1a; printf 'test-notify-key-0123456789'; hex 10 00 00 00 00 01; printf '%s' "$fields"; } |
      seed notify_mutation "payment-$mode-$encoding"
  done
done
{ hex 00 00 00 04; printf 'keyX'; hex 05 00 00 00 02 41; printf 'mid=898201612345678\nmerOrderId=3194REFUND0001\nstatus=TRADE_REFUND\nrefundOrderId=3194REFUND0001R1\nrefundAmount=50\nnotifyId=n-2'; } | seed notify_mutation refund
{ hex 01 01 01 04; printf 'keyX'; hex 05 00 00 00 01 41; printf 'billNo=31942024010112000000000042\nbillDate=2024-01-01\nbillStatus=PAID\ntotalAmount=3600\nbillPayment={"merOrderId":"3194X","status":"TRADE_SUCCESS","totalAmount":3600}\nnotifyId=n-3'; } | seed notify_mutation bill

# form_param: 0 then a query (the known-answer URL of src/auth/form_param.rs, appKey set B),
# or 1, the change, then appId, timestamp, nonce lines and the content. ------------------------
kat3='authorization=OPEN-FORM-PARAM&appId=10037e6f6a4e6da4016a670fd4530012&timestamp=20240101120000&nonce=0123456789abcdef0123456789abcdef&content=%7B%22requestTimestamp%22%3A%222024-01-01+12%3A00%3A00%22%2C%22merOrderId%22%3A%2231942024010112000000001234%22%2C%22mid%22%3A%22898201612345678%22%2C%22tid%22%3A%2288880001%22%2C%22instMid%22%3A%22H5DEFAULT%22%2C%22totalAmount%22%3A1%2C%22orderDesc%22%3A%22%E6%B5%8B%E8%AF%95+order%22%2C%22notifyUrl%22%3A%22https%3A%2F%2Fexample.com%2Fnotify%3Fa%3D1%26b%3D2%22%7D&signature=GX2YpqojK%2BHZop%2FvcUzk%2BwktDOUe0I5zGqj2lcopIDw%3D'
{ hex 00; printf '%s' "$kat3"; } | seed form_param kat3
{ hex 00; printf '%s' "$kat3" | sed 's/&nonce=/\&nonce=x\&nonce=/'; } | seed form_param kat3-repeated
{ hex 01 20 00 00 00 00 01; printf '10037e6f6a4e6da4016a670fd4530012\n20240101120000\n0123456789abcdef0123456789abcdef\n{"requestTimestamp":"2024-01-01 12:00:00","merOrderId":"31942024010112000000001234","mid":"898201612345678","tid":"88880001","instMid":"H5DEFAULT","totalAmount":1,"orderDesc":"测试 order","notifyUrl":"https://example.com/notify?a=1&b=2"}'; } | seed form_param kat3-signed

# values: 12 bytes of clock (2024-01-04), then a text. ---------------------------------------
i=0
for text in '1.23' '0.5' '12' '184467440737095516.15' '"100"' '100' '898201612345678' \
  '20240101120000' '898201612345678|88880001|YUEDANDEFAULT' 'https://example.com/notify?a=1' \
  '3194202401011200000001' '10037e6f6a4e6da4016a670fd4530012' '测试'; do
  { hex 00 4a 96 65 00 00 00 00 00 00 00 00; printf '%s' "$text"; } | seed values "text-$i"
  i=$((i + 1))
done
for f in $(answers | head -4); do
  { hex 00 4a 96 65 00 00 00 00 00 00 00 00; cat "$f"; } | seed values "$(name "$f")"
done

# sandbox_handle: count, then per request method, path, auth, position (2), byte, body (see
# the target). Every template signed (auth 2), its header or body changed (3, 4), by token (5);
# a token request then a query with its token; the answers of tests/data POSTed signed. ------
for t in 0 1 2 3 4 5 6 7 8 9 10; do
  method=00
  [ "$t" = 10 ] && method=01
  for auth in 02 03 04 05; do
    hex 00 "$method" "$(printf %02x "$t")" "$auth" 07 00 01 "$(printf %02x $((t + 2)))" 00 |
      seed sandbox_handle "template-$t-auth-$auth"
  done
done
hex 01 00 09 00 00 00 00 0b 00 00 00 05 00 00 00 02 00 | seed sandbox_handle token-then-query
for f in $(answers); do
  { hex 00 00 00 02 00 00 00 01; cat "$f"; } | seed sandbox_handle "$(name "$f")"
done

# sandbox_signature: template, body or header, position (2), kind, byte. ---------------------
for t in 0 1 2 3 4 5 6 7 8; do
  for where in 00 01; do
    hex "0$t" "$where" 20 00 00 01 | seed sandbox_signature "template-$t-$where"
  done
done

# sandbox_wire: raw bytes, the requests of sandbox/tests/{wire,robustness}.rs and the answers
# of tests/data POSTed with a token. ----------------------------------------------------------
printf 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' | seed sandbox_wire get-404
printf 'HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v1/netpay/query HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n' | seed sandbox_wire pipelined-heads
printf 'POST /v1/netpay/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' | seed sandbox_wire no-service
printf 'GET /v1/token/access HTTP/1.1\r\nHost: x\r\n\r\n' | seed sandbox_wire token-get
printf 'POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n' | seed sandbox_wire too-large
printf 'POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: OPEN-BODY-SIG AppId="chinaums-sandbox-app-id", Timestamp="20240101120000", Nonce="n", Signature="x"\r\n\r\n2\r\n{}\r\n0\r\n\r\n' | seed sandbox_wire chunked
printf 'POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}' | seed sandbox_wire expect-continue
printf 'GET /sandbox/ HTTP/1.1\r\nHost: x\r\n\r\n' | seed sandbox_wire dashboard
printf 'GET /sandbox/notifications?merOrderId=3194DEMOPAID0001 HTTP/1.1\r\nHost: x\r\n\r\n' | seed sandbox_wire notifications
printf 'GET /sandbox/cashier?merOrderId=3194DEMOUNPAID0001 HTTP/1.1\r\nHost: x\r\n\r\n' | seed sandbox_wire cashier
printf 'POST /sandbox/orders/3194DEMOUNPAID0001/fail HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' | seed sandbox_wire control-fail
printf 'GET /v1/netpay/trade/h5-pay?%s HTTP/1.1\r\nHost: x\r\n\r\n' "$kat3" | seed sandbox_wire h5
printf 'SSH-2.0-OpenSSH\r\n' | seed sandbox_wire garbage
for f in $(answers); do
  { printf 'POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: OPEN-ACCESS-TOKEN AccessToken=abc\r\nContent-Length: %d\r\n\r\n' "$(wc -c < "$f")"; cat "$f"; } |
    seed sandbox_wire "$(name "$f")"
done

echo "seed corpus written to $out"
