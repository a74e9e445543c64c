//! The text of the pages a person sees, in their language. Owns the
//! catalogues under `locales/` (embedded at build time, parsed once) and the
//! choice of one for a request; knows nothing of HTTP or templates.
//!
//! A catalogue is a TOML file of `key = "text"` lines. Dotted keys such as
//! `login.title` are read as written, and `{name}` in a text is a placeholder
//! that [`Catalog::format`] fills in.

mod negotiate;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;

pub use negotiate::negotiate;

/// The language of last resort: chosen when nothing else matches, and read
/// for any key a translation lacks. Every translation must match its keys.
const FALLBACK: (&str, &str) = ("en", include_str!("../../locales/en.toml"));

/// Every other language, as its BCP 47 tag and catalogue. Adding a language
/// takes one file under `locales/` and one line here. When two variants of a
/// language are listed, the first is chosen for a bare language tag.
const TRANSLATIONS: &[(&str, &str)] = &[("pt-BR", include_str!("../../locales/pt-BR.toml"))];

/// Every language with a catalogue, as BCP 47 tags (for discovery's
/// `ui_locales_supported`).
pub fn languages() -> Vec<&'static str> {
    std::iter::once(FALLBACK.0)
        .chain(TRANSLATIONS.iter().map(|(tag, _)| *tag))
        .collect()
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    fallback: Catalog::load(FALLBACK),
    translations: TRANSLATIONS.iter().copied().map(Catalog::load).collect(),
});

/// Every catalogue, parsed.
struct Registry {
    fallback: Catalog,
    translations: Vec<Catalog>,
}

impl Registry {
    fn all(&self) -> impl Iterator<Item = &Catalog> {
        std::iter::once(&self.fallback).chain(&self.translations)
    }
}

/// The texts of one language.
#[derive(Debug)]
pub struct Catalog {
    lang: &'static str,
    texts: HashMap<String, String>,
}

impl Catalog {
    /// The BCP 47 tag of this language, for `<html lang>`.
    pub fn lang(&self) -> &str {
        self.lang
    }

    /// The text for `key`: this language's, else English, else the key
    /// itself, so a missing text shows up on the page instead of failing it.
    pub fn text<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts
            .get(key)
            .or_else(|| REGISTRY.fallback.texts.get(key))
            .map_or(key, String::as_str)
    }

    /// The text for `key` with each `{name}` replaced by its value in
    /// `args`. Placeholders without a value stay as written.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.text(key), args)
    }

    fn load((lang, source): (&'static str, &str)) -> Catalog {
        let texts = parse(source).unwrap_or_else(|error| {
            // The unit tests parse every catalogue, so only a build whose tests
            // never ran gets here; its pages show English instead of failing.
            tracing::error!(lang, error = %error, "a language catalogue does not parse");
            HashMap::new()
        });
        Catalog { lang, texts }
    }
}

/// One value of a catalogue file: a text, or the table that a dotted key
/// such as `login.error.csrf` makes of its leading parts.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Text(String),
    Table(BTreeMap<String, Entry>),
}

fn parse(source: &str) -> Result<HashMap<String, String>, Box<figment::Error>> {
    let table: BTreeMap<String, Entry> = Figment::from(Toml::string(source))
        .extract()
        .map_err(Box::new)?;

    let mut texts = HashMap::new();
    flatten("", table, &mut texts);
    Ok(texts)
}

/// Turns nested tables back into the dotted keys the file was written with.
fn flatten(prefix: &str, table: BTreeMap<String, Entry>, texts: &mut HashMap<String, String>) {
    for (name, entry) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match entry {
            Entry::Text(text) => {
                texts.insert(key, text);
            }
            Entry::Table(table) => flatten(&key, table, texts),
        }
    }
}

/// Replaces `{name}` placeholders in one pass, so a value that itself
/// contains braces (a client named `{username}`) is never expanded.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;

    while let Some((before, after)) = rest.split_once('{') {
        filled.push_str(before);
        let replaced = after.split_once('}').and_then(|(name, tail)| {
            let value = args.iter().find(|(arg, _)| *arg == name)?.1;
            Some((value, tail))
        });
        match replaced {
            Some((value, tail)) => {
                filled.push_str(value);
                rest = tail;
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }

    filled.push_str(rest);
    filled
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn every_source() -> impl Iterator<Item = (&'static str, &'static str)> {
        std::iter::once(FALLBACK).chain(TRANSLATIONS.iter().copied())
    }

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_catalogue_parses() {
        for (lang, source) in every_source() {
            let texts = parse(source).unwrap_or_else(|e| panic!("{lang} does not parse: {e}"));
            assert!(!texts.is_empty(), "{lang} is empty");
            assert!(texts.values().all(|t| !t.trim().is_empty()), "{lang}");
        }
    }

    #[test]
    fn every_catalogue_has_exactly_the_english_keys() {
        let english: BTreeSet<&String> = REGISTRY.fallback.texts.keys().collect();
        for catalog in &REGISTRY.translations {
            let keys: BTreeSet<&String> = catalog.texts.keys().collect();
            let missing: Vec<_> = english.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&english).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", catalog.lang);
            assert!(extra.is_empty(), "{} has unknown {extra:?}", catalog.lang);
        }
    }

    #[test]
    fn translations_use_the_english_placeholders() {
        for catalog in &REGISTRY.translations {
            for (key, english) in &REGISTRY.fallback.texts {
                let translated = catalog.text(key);
                assert_eq!(
                    placeholders(translated),
                    placeholders(english),
                    "{} {key}",
                    catalog.lang
                );
            }
        }
    }

    #[test]
    fn an_unknown_key_is_shown_as_itself() {
        assert_eq!(negotiate(None, None).text("no.such.key"), "no.such.key");
    }

    #[test]
    fn a_missing_translation_falls_back_to_english() {
        let empty = Catalog {
            lang: "xx",
            texts: HashMap::new(),
        };
        assert_eq!(empty.text("login.title"), "Sign in");
    }

    #[test]
    fn dotted_keys_are_kept_as_written() {
        let english = negotiate(None, None);
        assert_eq!(english.text("site.name"), "Porteiro");
        assert_eq!(
            english.text("login.error.invalid_credentials"),
            "The username or password is wrong."
        );
    }

    #[test]
    fn format_fills_named_placeholders() {
        let english = negotiate(None, None);
        let text = english.format("login.error.locked", &[("seconds", "30")]);
        assert_eq!(
            text,
            "Too many failed attempts. Wait 30 seconds and try again."
        );
    }

    #[test]
    fn format_does_not_expand_braces_inside_values() {
        let text = fill(
            "{client} as {username}",
            &[("client", "{username}"), ("username", "ana")],
        );
        assert_eq!(text, "{username} as ana");
    }

    #[test]
    fn format_keeps_placeholders_it_has_no_value_for() {
        assert_eq!(fill("a {b} {c", &[("x", "y")]), "a {b} {c");
    }
}
