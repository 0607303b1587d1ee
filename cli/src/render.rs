//! Showing any typed answer: as a readable summary, or as JSON.
//!
//! The summary is built from the answer's own `Serialize` implementation, not from a list of
//! its fields: the answer is serialized into a small tree ([`Node`]) by a `serde::Serializer`
//! written here, then printed one field per line, by wire name, in the order the type
//! serializes them (its declared order; fields it does not name, kept in a map, come where
//! the type puts them). Amounts are recognised by type, not by name: [`chinaums::Fen`]
//! serializes as the newtype struct [`Fen::SERDE_NAME`], which this serializer turns into an
//! amount shown as `1.00 yuan (100 fen)`; every other number is shown as it is.
//!
//! The one field a caller decides on (a query's `status`) is supplied by the command as a
//! [`Decision`] and printed first, in words. Absent fields (`None`, `null`) and empty texts
//! (`""`, the platform's "no value") are left out; nested objects and lists are indented
//! under their field. Control characters in the answer are escaped, so a text cannot break
//! the layout or send escape sequences to the terminal.
//!
//! Any `Serialize` answer works unchanged: a new command passes its answer type and, if it
//! has one, its decision.

use std::fmt;

use chinaums::Fen;
use serde::Serialize;
use serde::ser;

use crate::exit::{Class, CliError};

/// `1.00 yuan (100 fen)`.
pub fn amount(fen: Fen) -> String {
    format!("{fen} yuan ({} fen)", fen.get())
}

/// The field of an answer that carries the decision (e.g. `status`), and the decision in
/// words; printed first in a summary, in place of the field's raw value. A command may bring
/// other fields forward with it ([`Decision::and`]), e.g. a refund's `refundOrderId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The field's wire name, e.g. `status`.
    pub field: &'static str,
    /// What to print for it, e.g. `paid (TRADE_SUCCESS)`.
    pub text: String,
    /// Fields printed right after it, in this order, in place of their place in the answer.
    pub also: Vec<(&'static str, String)>,
    /// Whether the field's own value (an object or a list) is printed under the decision's
    /// line, indented ([`Decision::with_value`]).
    pub with_value: bool,
}

impl Decision {
    /// The decision `text` for the field `field`.
    pub fn new(field: &'static str, text: impl Into<String>) -> Self {
        Decision {
            field,
            text: text.into(),
            also: Vec::new(),
            with_value: false,
        }
    }

    /// Also prints the field's own value, when it is an object or a list, indented under the
    /// decision's line (`miniPayRequest: ready` and the pay request's fields below it).
    pub fn with_value(mut self) -> Self {
        self.with_value = true;
        self
    }

    /// Prints `field` as `text` right after the decision (and not again in its place).
    pub fn and(mut self, field: &'static str, text: impl Into<String>) -> Self {
        self.also.push((field, text.into()));
        self
    }

    /// The decision's rows: its own, then the fields it brings forward.
    fn rows(&self) -> Vec<(String, Node)> {
        std::iter::once((self.field, &self.text))
            .chain(self.also.iter().map(|(field, text)| (*field, text)))
            .map(|(field, text)| (field.to_owned(), Node::Text(text.clone())))
            .collect()
    }

    /// Whether the decision prints `name` itself.
    fn shows(&self, name: &str) -> bool {
        self.field == name || self.also.iter().any(|(field, _)| *field == name)
    }
}

/// The whole typed answer as pretty JSON, with a final newline: wire names, amounts as
/// integers in fen, fields the SDK does not name kept as sent.
pub fn json<T: Serialize + ?Sized>(answer: &T) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(answer).map_err(|e| {
        CliError::new(
            Class::Other,
            format!("cannot encode the answer as JSON: {e}"),
        )
    })?;
    text.push('\n');
    Ok(text)
}

/// The readable summary of `answer`: the decision first (when there is one), then each field
/// the answer carries, `name: value`, names aligned.
pub fn summary<T: Serialize + ?Sized>(
    answer: &T,
    decision: Option<&Decision>,
) -> Result<String, CliError> {
    let tree = to_node(answer)
        .map_err(|e| CliError::new(Class::Other, format!("cannot show the answer: {e}")))?;
    Ok(summary_of(tree, decision))
}

/// [`summary`] of an answer already in tree form.
fn summary_of(tree: Node, decision: Option<&Decision>) -> String {
    let mut out = String::new();
    let mut lead = decision.map(Decision::rows).unwrap_or_default();
    match prune(tree) {
        Some(Node::Fields(fields)) => {
            if let Some(decision) = decision.filter(|d| d.with_value) {
                let value = fields.iter().find(|(name, _)| name == decision.field);
                if let (Some((_, value @ (Node::Fields(_) | Node::List(_)))), Some(first)) =
                    (value, lead.first_mut())
                {
                    first.1 = Node::Headed(decision.text.clone(), Box::new(value.clone()));
                }
            }
            let mut rows = lead;
            rows.extend(
                fields
                    .into_iter()
                    .filter(|(name, _)| decision.is_none_or(|d| !d.shows(name))),
            );
            write_fields(&mut out, 0, &rows);
        }
        // Not an object (no answer type is, but any `Serialize` must render): the decision,
        // then the value alone.
        other => {
            if !lead.is_empty() {
                write_fields(&mut out, 0, &lead);
            }
            match other {
                Some(Node::List(items)) => write_list(&mut out, 0, &items),
                Some(scalar) => {
                    out.push_str(&scalar_text(&scalar));
                    out.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

/// An answer, serialized: just enough structure to print it.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `None`, `null`, `()`: nothing to show.
    Absent,
    /// `true` or `false`.
    Bool(bool),
    /// An unsigned integer that is not an amount.
    Unsigned(u64),
    /// Any other number, as written.
    Number(String),
    /// An amount: a [`Fen`].
    Amount(Fen),
    /// A string (or a unit enum variant, by name).
    Text(String),
    /// A sequence.
    List(Vec<Node>),
    /// A struct or a map: `(name, value)` in serialization order.
    Fields(Vec<(String, Node)>),
    /// A decision's text with the field's own value under it (never built by [`to_node`]).
    Headed(String, Box<Node>),
}

/// Serializes `value` into a [`Node`].
pub fn to_node<T: Serialize + ?Sized>(value: &T) -> Result<Node, RenderError> {
    value.serialize(NodeSerializer)
}

/// `node` without absent fields and empty texts, objects and lists; `None` if nothing is left.
/// Items of a list are kept (an absent one shows as `(none)`) so positions keep their meaning.
fn prune(node: Node) -> Option<Node> {
    match node {
        Node::Absent => None,
        Node::Text(s) if s.is_empty() => None,
        Node::Fields(fields) => {
            let kept: Vec<(String, Node)> = fields
                .into_iter()
                .filter_map(|(name, value)| prune(value).map(|v| (name, v)))
                .collect();
            (!kept.is_empty()).then_some(Node::Fields(kept))
        }
        Node::List(items) if items.is_empty() => None,
        Node::List(items) => Some(Node::List(
            items
                .into_iter()
                .map(|item| prune(item).unwrap_or(Node::Absent))
                .collect(),
        )),
        other => Some(other),
    }
}

/// One line per field at `indent`, values aligned after the longest name; an object or a list
/// goes on the lines below its name, indented.
fn write_fields(out: &mut String, indent: usize, fields: &[(String, Node)]) {
    let names: Vec<String> = fields.iter().map(|(name, _)| escape(name)).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 1;
    for (name, (_, value)) in names.iter().zip(fields) {
        let label = format!("{name}:");
        match value {
            Node::Fields(children) => {
                push_line(out, indent, &label);
                write_fields(out, indent + 2, children);
            }
            Node::List(items) => {
                push_line(out, indent, &label);
                write_list(out, indent + 2, items);
            }
            Node::Headed(text, value) => {
                push_line(out, indent, &format!("{label:<width$} {}", escape(text)));
                match value.as_ref() {
                    Node::Fields(children) => write_fields(out, indent + 2, children),
                    Node::List(items) => write_list(out, indent + 2, items),
                    scalar => push_line(out, indent + 2, &scalar_text(scalar)),
                }
            }
            scalar => push_line(
                out,
                indent,
                &format!("{label:<width$} {}", scalar_text(scalar)),
            ),
        }
    }
}

/// One `- item` per element; an object's first field goes on the dash's line, the rest below
/// it, aligned (as YAML writes it).
fn write_list(out: &mut String, indent: usize, items: &[Node]) {
    for item in items {
        match item {
            Node::Fields(_) | Node::List(_) => {
                let mut nested = String::new();
                match item {
                    Node::Fields(children) => write_fields(&mut nested, indent + 2, children),
                    Node::List(inner) => write_list(&mut nested, indent + 2, inner),
                    _ => {}
                }
                // The first line starts with `indent + 2` spaces: the dash takes the last two.
                match nested.get(indent + 2..).filter(|rest| !rest.is_empty()) {
                    Some(rest) => {
                        out.push_str(&" ".repeat(indent));
                        out.push_str("- ");
                        out.push_str(rest);
                    }
                    None => push_line(out, indent, "- (none)"),
                }
            }
            scalar => push_line(out, indent, &format!("- {}", scalar_text(scalar))),
        }
    }
}

fn push_line(out: &mut String, indent: usize, text: &str) {
    out.push_str(&" ".repeat(indent));
    out.push_str(text.trim_end());
    out.push('\n');
}

/// A leaf value as text.
fn scalar_text(node: &Node) -> String {
    match node {
        Node::Absent => "(none)".to_owned(),
        Node::Bool(b) => b.to_string(),
        Node::Unsigned(n) => n.to_string(),
        Node::Number(n) => n.clone(),
        Node::Amount(fen) => amount(*fen),
        Node::Text(s) => escape(s),
        Node::Headed(text, _) => escape(text),
        // Only leaves reach here, and map keys, which show a nested value compactly.
        Node::List(items) => format!(
            "[{}]",
            items.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
        ),
        Node::Fields(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}: {}", escape(k), scalar_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `s` with control characters (and the invisible ones that reorder or hide text) escaped as
/// `\n`, `\u{1b}`, …: one line, no terminal escape sequences. Everything else (Chinese
/// included) is kept.
fn escape(s: &str) -> String {
    let invisible = |c: char| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
    if !s.chars().any(|c| c.is_control() || invisible(c)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Why an answer could not be turned into a [`Node`]: only a `Serialize` implementation that
/// reports an error of its own, or a map value without a key.
#[derive(Debug)]
pub struct RenderError(String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

impl ser::Error for RenderError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RenderError(msg.to_string())
    }
}

/// The `serde::Serializer` that builds a [`Node`].
struct NodeSerializer;

type Result<T, E = RenderError> = std::result::Result<T, E>;

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = RenderError;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = VariantBuilder<ListBuilder>;
    type SerializeMap = FieldsBuilder;
    type SerializeStruct = FieldsBuilder;
    type SerializeStructVariant = VariantBuilder<FieldsBuilder>;

    fn serialize_bool(self, v: bool) -> Result<Node> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Node> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Node> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Node> {
        Ok(Node::Number(v.to_string()))
    }
    fn serialize_i128(self, v: i128) -> Result<Node> {
        Ok(Node::Number(v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> Result<Node> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Node> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Node> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Node> {
        Ok(Node::Unsigned(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Node> {
        Ok(Node::Number(v.to_string()))
    }
    fn serialize_f32(self, v: f32) -> Result<Node> {
        self.serialize_f64(v.into())
    }
    /// Shortest round-trip form, with an exponent when long (`0.5`, `-1.5e300`), as JSON
    /// writes it.
    fn serialize_f64(self, v: f64) -> Result<Node> {
        Ok(Node::Number(format!("{v:?}")))
    }
    fn serialize_char(self, v: char) -> Result<Node> {
        Ok(Node::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node> {
        Ok(Node::Text(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node> {
        let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Node::Text(format!("{} bytes: {hex}", v.len())))
    }
    fn serialize_none(self) -> Result<Node> {
        Ok(Node::Absent)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Node> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node> {
        Ok(Node::Absent)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node> {
        Ok(Node::Absent)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Node> {
        Ok(Node::Text(variant.to_owned()))
    }
    /// The one place an amount is recognised: a `Fen` is the newtype struct named
    /// [`Fen::SERDE_NAME`] around a `u64`.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Node> {
        Ok(match value.serialize(NodeSerializer)? {
            Node::Unsigned(fen) if name == Fen::SERDE_NAME => Node::Amount(Fen(fen)),
            other => other,
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Node> {
        Ok(Node::Fields(vec![(
            variant.to_owned(),
            value.serialize(NodeSerializer)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder> {
        Ok(ListBuilder(Vec::with_capacity(len.unwrap_or(0).min(64))))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ListBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<ListBuilder>> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<FieldsBuilder> {
        Ok(FieldsBuilder::default())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<FieldsBuilder> {
        Ok(FieldsBuilder::default())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantBuilder<FieldsBuilder>> {
        Ok(VariantBuilder {
            variant,
            inner: FieldsBuilder::default(),
        })
    }
}

/// The elements of a sequence or tuple.
struct ListBuilder(Vec<Node>);

impl ser::SerializeSeq for ListBuilder {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.0.push(value.serialize(NodeSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Node> {
        Ok(Node::List(self.0))
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node> {
        ser::SerializeSeq::end(self)
    }
}

/// The fields of a struct or the entries of a map (a struct with `#[serde(flatten)]` fields
/// serializes as a map), in order.
#[derive(Default)]
struct FieldsBuilder {
    fields: Vec<(String, Node)>,
    key: Option<String>,
}

impl ser::SerializeMap for FieldsBuilder {
    type Ok = Node;
    type Error = RenderError;
    /// A key as text: a string as it is, anything else as [`scalar_text`] writes it.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(match key.serialize(NodeSerializer)? {
            Node::Text(s) => s,
            other => scalar_text(&other),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <RenderError as ser::Error>::custom("a map value without a key"))?;
        self.fields.push((key, value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node> {
        Ok(Node::Fields(self.fields))
    }
}

impl ser::SerializeStruct for FieldsBuilder {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        self.fields
            .push((name.to_owned(), value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node> {
        Ok(Node::Fields(self.fields))
    }
}

/// An enum variant with data: `{variant: data}`.
struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl ser::SerializeTupleVariant for VariantBuilder<ListBuilder> {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Result<Node> {
        let inner = ser::SerializeSeq::end(self.inner)?;
        Ok(Node::Fields(vec![(self.variant.to_owned(), inner)]))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<FieldsBuilder> {
    type Ok = Node;
    type Error = RenderError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, name, value)
    }
    fn end(self) -> Result<Node> {
        let inner = ser::SerializeStruct::end(self.inner)?;
        Ok(Node::Fields(vec![(self.variant.to_owned(), inner)]))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chinaums::{PaymentQueryResponse, TradeStatus};
    use serde::Serialize;

    use super::*;

    /// A made-up answer: an amount under a name no list knows, an optional amount, a plain
    /// number named like an amount, nested objects, lists of objects and of scalars, an enum,
    /// a map, empty and absent values.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MadeUp {
        refund_status: &'static str,
        paid_out: Fen,
        maybe_fee: Option<Fen>,
        no_fee: Option<Fen>,
        total_amount: u64,
        ratio: f64,
        delta: i32,
        flag: bool,
        empty: String,
        channel: Channel,
        refunds: Vec<Refund>,
        tags: Vec<&'static str>,
        nothing: Vec<u8>,
        by_day: BTreeMap<u32, Fen>,
        kind: Kind,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Channel {
        target_sys: &'static str,
        fee: Fen,
        detail: Detail,
    }

    #[derive(Serialize)]
    struct Detail {
        code: &'static str,
        none: Option<String>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Refund {
        refund_order_id: &'static str,
        amount: Fen,
    }

    #[derive(Serialize)]
    enum Kind {
        Partial { left: Fen },
    }

    fn made_up() -> MadeUp {
        MadeUp {
            refund_status: "SUCCESS",
            paid_out: Fen(12345),
            maybe_fee: Some(Fen(1)),
            no_fee: None,
            total_amount: 100,
            ratio: 0.5,
            delta: -3,
            flag: true,
            empty: String::new(),
            channel: Channel {
                target_sys: "WXPay",
                fee: Fen(0),
                detail: Detail {
                    code: "OK",
                    none: None,
                },
            },
            refunds: vec![
                Refund {
                    refund_order_id: "3194R1",
                    amount: Fen(500),
                },
                Refund {
                    refund_order_id: "3194R2",
                    amount: Fen(250),
                },
            ],
            tags: vec!["a", "b"],
            nothing: vec![],
            by_day: BTreeMap::from([(1, Fen(100)), (2, Fen(200))]),
            kind: Kind::Partial { left: Fen(99) },
        }
    }

    #[test]
    fn a_made_up_answer_renders_nested_values_and_amounts_by_type() {
        let decision = Decision::new("refundStatus", "refunded (SUCCESS)");
        let s = summary(&made_up(), Some(&decision)).unwrap();
        assert_eq!(
            s,
            "\
refundStatus: refunded (SUCCESS)
paidOut:      123.45 yuan (12345 fen)
maybeFee:     0.01 yuan (1 fen)
totalAmount:  100
ratio:        0.5
delta:        -3
flag:         true
channel:
  targetSys: WXPay
  fee:       0.00 yuan (0 fen)
  detail:
    code: OK
refunds:
  - refundOrderId: 3194R1
    amount:        5.00 yuan (500 fen)
  - refundOrderId: 3194R2
    amount:        2.50 yuan (250 fen)
tags:
  - a
  - b
byDay:
  1: 1.00 yuan (100 fen)
  2: 2.00 yuan (200 fen)
kind:
  Partial:
    left: 0.99 yuan (99 fen)
"
        );
    }

    #[test]
    fn amounts_are_recognised_by_their_serde_name_only() {
        assert_eq!(to_node(&Fen(7)).unwrap(), Node::Amount(Fen(7)));
        assert_eq!(to_node(&Some(Fen(7))).unwrap(), Node::Amount(Fen(7)));
        // Another newtype around a u64 is a number; so is a u64 whatever its name.
        #[derive(Serialize)]
        struct Count(u64);
        assert_eq!(to_node(&Count(7)).unwrap(), Node::Unsigned(7));
        assert_eq!(
            summary(&BTreeMap::from([("someAmount", 880u64)]), None).unwrap(),
            "someAmount: 880\n"
        );
        // A newtype named like an amount around something else is not an amount.
        struct FakeFen;
        impl Serialize for FakeFen {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_newtype_struct(Fen::SERDE_NAME, "12")
            }
        }
        assert_eq!(to_node(&FakeFen).unwrap(), Node::Text("12".into()));
    }

    /// The payment query's answer with every field it types filled: each field the JSON
    /// carries is a line of the summary, by its wire name, once; every amount in yuan and fen.
    #[test]
    fn the_payment_query_answer_shows_every_field_it_carries() {
        let wire = r#"{
            "errCode": "SUCCESS", "errMsg": "ok", "errInfo": "fine",
            "responseTimestamp": "2024-01-01 12:00:06",
            "mid": "898201612345678", "tid": "88880001", "instMid": "YUEDANDEFAULT",
            "billFunds": "现金:100", "billFundsDesc": "现金支付1.00元",
            "payTime": "2024-01-01 12:00:05",
            "couponMerchantContribute": 1, "couponOtherContribute": "2",
            "msgId": "m", "srcReserve": "r", "attachedData": "d", "seqId": "s",
            "settleRefId": "sr", "refId": "ref", "status": "TRADE_SUCCESS",
            "totalAmount": "100", "merName": "商户", "merOrderId": "3194X",
            "targetOrderId": "t", "targetSys": "WXPay", "targetStatus": "SUCCESS",
            "buyerId": "b", "targetMid": "tm", "bankCardNo": "6222", "bankInfo": "bank",
            "buyerPayAmount": 3, "buyerUsername": "u", "couponAmount": 4,
            "invoiceAmount": 5, "receiptAmount": 6, "settleDate": "2024-01-01",
            "subBuyerId": "sb", "activityIds": "a", "yxlmAmount": 7, "secureStatus": "ss",
            "authIdRespCd": "ai", "refundAmount": 8,
            "connectSys": "UNIONPAY", "cardAttr": {"kind": "DEBIT", "limits": [1, 2]}
        }"#;
        let answer: PaymentQueryResponse = serde_json::from_str(wire).unwrap();
        assert_eq!(answer.status, Some(TradeStatus::TradeSuccess));
        let s = summary(&answer, None).unwrap();
        let top: Vec<&str> = s
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split_once(':').unwrap().0)
            .collect();
        let carried = serde_json::to_value(&answer).unwrap();
        let carried = carried.as_object().unwrap();
        for (name, value) in carried {
            let shown = top.iter().filter(|n| *n == name).count();
            assert_eq!(shown, 1, "{name} shown {shown} times:\n{s}");
            // The answer's top-level numbers are its amounts (typed `Fen`), whatever their
            // name; each reads in yuan and fen.
            if let Some(fen) = value.as_u64() {
                let line = s
                    .lines()
                    .find(|l| l.starts_with(&format!("{name}:")))
                    .unwrap();
                assert!(line.ends_with(&format!(" yuan ({fen} fen)")), "{line}");
            }
        }
        assert_eq!(top.len(), carried.len(), "{s}");
        assert!(
            s.contains("cardAttr:\n  kind:   DEBIT\n  limits:\n    - 1\n    - 2\n"),
            "{s}"
        );
    }

    #[test]
    fn absent_and_empty_fields_are_left_out() {
        let answer: PaymentQueryResponse =
            serde_json::from_str(r#"{"errCode":"SUCCESS","errMsg":"","seqId":"","x":null,"y":{}}"#)
                .unwrap();
        assert_eq!(summary(&answer, None).unwrap(), "errCode: SUCCESS\n");
        // Nothing at all: an empty summary, or the decision alone.
        let empty = PaymentQueryResponse::default();
        assert_eq!(summary(&empty, None).unwrap(), "");
        let d = Decision::new("status", "unknown");
        assert_eq!(summary(&empty, Some(&d)).unwrap(), "status: unknown\n");
    }

    #[test]
    fn the_decision_replaces_its_field_and_comes_first() {
        let answer = BTreeMap::from([("a", "1"), ("status", "RAW"), ("z", "2")]);
        let d = Decision::new("status", "in words (RAW)");
        assert_eq!(
            summary(&answer, Some(&d)).unwrap(),
            "status: in words (RAW)\na:      1\nz:      2\n"
        );
    }

    #[test]
    fn fields_the_decision_brings_forward_come_next_and_only_once() {
        let answer = BTreeMap::from([("a", "1"), ("id", "R1"), ("status", "RAW"), ("z", "2")]);
        let d = Decision::new("status", "in words (RAW)").and("id", "R1\u{1b}");
        assert_eq!(
            summary(&answer, Some(&d)).unwrap(),
            "status: in words (RAW)\nid:     R1\\u{1b}\na:      1\nz:      2\n"
        );
        // A field the answer lacks is shown all the same; a non-object answer keeps them too.
        let d = Decision::new("status", "s").and("missing", "m");
        assert_eq!(
            summary(&answer, Some(&d)).unwrap().lines().nth(1),
            Some("missing: m")
        );
        assert_eq!(
            summary(&7u8, Some(&d)).unwrap(),
            "status:  s\nmissing: m\n7\n"
        );
    }

    #[test]
    fn control_characters_cannot_break_lines_or_reach_the_terminal() {
        let answer = BTreeMap::from([
            ("errMsg", "two\nlines"),
            ("evil\u{1b}[2J", "\u{1b}[31mred\u{7}"),
            ("bidi", "a\u{202e}b"),
            ("chinese", "订单不存在"),
        ]);
        let s = summary(&answer, None).unwrap();
        assert_eq!(s.lines().count(), 4, "{s}");
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}') && !s.contains('\u{202e}'));
        assert!(s.contains(r"two\nlines"), "{s}");
        assert!(s.contains(r"\u{1b}[31mred\u{7}"), "{s}");
        assert!(s.contains(r"a\u{202e}b"), "{s}");
        assert!(
            s.lines()
                .any(|l| l.starts_with("chinese: ") && l.ends_with(" 订单不存在")),
            "{s}"
        );
    }

    #[test]
    fn any_shape_renders_without_panicking() {
        assert_eq!(summary(&42u8, None).unwrap(), "42\n");
        assert_eq!(summary(&Fen(100), None).unwrap(), "1.00 yuan (100 fen)\n");
        assert_eq!(summary(&vec![1, 2], None).unwrap(), "- 1\n- 2\n");
        assert_eq!(summary(&(), None).unwrap(), "");
        assert_eq!(
            summary(&vec![vec![1, 2], vec![]], None).unwrap(),
            "- - 1\n  - 2\n- (none)\n"
        );
        assert_eq!(
            summary(&vec![Some("x"), None], None).unwrap(),
            "- x\n- (none)\n"
        );
        let odd_keys = BTreeMap::from([((1, 2), "tuple key"), ((3, 4), "")]);
        assert_eq!(summary(&odd_keys, None).unwrap(), "[1, 2]: tuple key\n");
        assert_eq!(
            summary(
                &serde_json::json!({"bytes": serde_json::Value::Null, "f": -1.5e300}),
                None
            )
            .unwrap(),
            "f: -1.5e300\n"
        );
    }

    #[test]
    fn a_failing_serialize_is_an_error_not_a_panic() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(ser::Error::custom("broken on purpose"))
            }
        }
        let e = summary(&BTreeMap::from([("x", Broken)]), None).unwrap_err();
        assert_eq!(e.class, Class::Other);
        assert!(e.message.contains("broken on purpose"), "{e}");
        assert!(json(&Broken).is_err());
    }

    #[test]
    fn json_is_the_typed_answer() {
        let text = json(&made_up()).unwrap();
        assert!(text.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["paidOut"], 12345);
        assert_eq!(value["channel"]["fee"], 0);
        assert_eq!(value["refunds"][1]["amount"], 250);
        assert_eq!(value["noFee"], serde_json::Value::Null);
    }

    #[test]
    fn amounts_read_in_yuan_and_fen() {
        assert_eq!(amount(Fen(100)), "1.00 yuan (100 fen)");
        assert_eq!(amount(Fen(5)), "0.05 yuan (5 fen)");
        assert_eq!(
            amount(Fen(u64::MAX)),
            "184467440737095516.15 yuan (18446744073709551615 fen)"
        );
    }
}
