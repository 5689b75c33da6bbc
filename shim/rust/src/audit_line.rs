//! Just enough JSON to read one audit event (a flat JSON object per line): its top-level string
//! fields. Nested values, numbers and literals are skipped. No dependencies, on purpose.

/// The top-level fields of a JSON object: (name, Some(text)) for strings, (name, None) for any
/// other value. `None` if `line` is not one well-formed JSON object.
pub(crate) fn top_level_strings(line: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut p = Parser { s: line.as_bytes(), i: 0 };
    p.ws();
    p.eat(b'{')?;
    let mut fields = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let name = p.string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let value = if p.peek() == Some(b'"') {
                Some(p.string()?)
            } else {
                p.skip_value()?;
                None
            };
            fields.push((name, value));
            p.ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    if p.i == p.s.len() {
        Some(fields)
    } else {
        None
    }
}

/// The string field `name` of a parsed object.
pub(crate) fn field<'a>(fields: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        if self.next()? == c {
            Some(())
        } else {
            None
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let v = u32::from_str_radix(text, 16).ok()?;
        self.i += 4;
        Some(v)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    /// Skips a number, literal, object or array.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            self.i += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.i += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        _ => self.i += 1,
                    }
                }
            }
            _ => {
                let start = self.i;
                let literal = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.');
                while self.peek().map_or(false, literal) {
                    self.i += 1;
                }
                if self.i == start {
                    None
                } else {
                    Some(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_string_fields_of_a_compile_finished_event() {
        let line = concat!(
            r#"{"schema":1,"event":"compile.finished","compile_id":"8564-7f33-0","#,
            r#""run_id":"r\"1\u00e9","outcome":"uncacheable","reason":"called_for_link","#,
            r#""exit_code":null,"duration_us":27,"host":{"product":"x","list":[1,"}"]}}"#
        );
        let fields = top_level_strings(line).unwrap();
        assert_eq!(field(&fields, "event"), Some("compile.finished"));
        assert_eq!(field(&fields, "outcome"), Some("uncacheable"));
        assert_eq!(field(&fields, "compile_id"), Some("8564-7f33-0"));
        assert_eq!(field(&fields, "run_id"), Some("r\"1\u{e9}"));
        assert_eq!(field(&fields, "exit_code"), None);
        assert_eq!(field(&fields, "product"), None, "nested fields are not top-level");
        assert!(fields.iter().any(|(n, v)| n == "host" && v.is_none()));
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        assert!(top_level_strings("").is_none());
        assert!(top_level_strings("[1]").is_none());
        assert!(top_level_strings(r#"{"a":"b""#).is_none(), "a torn line");
        assert!(top_level_strings(r#"{"a":"b"} x"#).is_none());
        assert!(top_level_strings(r#"{"a" "b"}"#).is_none());
        assert_eq!(top_level_strings(" {} ").unwrap().len(), 0);
        let pair = top_level_strings(r#"{"s":"\ud83d\ude00"}"#).unwrap();
        assert_eq!(field(&pair, "s"), Some("\u{1F600}"));
    }
}
