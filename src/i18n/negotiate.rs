//! Choosing a catalogue from what the request says about languages: the
//! `ui_locales` authorization parameter first, then `Accept-Language`.

use super::{Catalog, REGISTRY, Registry};

/// The catalogue for a person who prefers the languages of `ui_locales`
/// (space-separated BCP 47 tags, most wanted first; OpenID Connect Core
/// section 3.1.2.1), then those of an `Accept-Language` header (RFC 9110
/// section 12.5.4), else English.
///
/// Each wanted tag matches a catalogue of the same tag, else one of the same
/// language (`pt-PT` gets `pt-BR`), before the next tag is tried: someone
/// who prefers any Portuguese to English reads Portuguese. Tags compare
/// case-insensitively.
pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static Catalog {
    let registry: &'static Registry = &REGISTRY;
    let from_parameter = ui_locales.unwrap_or_default().split_whitespace();
    let from_header = accept_language.map(by_weight).unwrap_or_default();

    from_parameter
        .chain(from_header)
        .find_map(|wanted| best_match(registry, wanted))
        .unwrap_or(&registry.fallback)
}

fn best_match<'r>(registry: &'r Registry, wanted: &str) -> Option<&'r Catalog> {
    let same_tag = |catalog: &&Catalog| catalog.lang.eq_ignore_ascii_case(wanted);
    let same_language = |catalog: &&Catalog| {
        primary_language(catalog.lang).eq_ignore_ascii_case(primary_language(wanted))
    };

    registry
        .all()
        .find(same_tag)
        .or_else(|| registry.all().find(same_language))
}

/// `pt` of `pt-BR`.
fn primary_language(tag: &str) -> &str {
    tag.split_once('-').map_or(tag, |(language, _)| language)
}

/// The language tags of an `Accept-Language` value, highest weight first
/// (ties keep their order). Tags weighted `q=0` ask not to be used, and `*`
/// names no language, so both are left out, as are entries whose weight does
/// not parse.
fn by_weight(header: &str) -> Vec<&str> {
    let mut weighted: Vec<(&str, f32)> = header.split(',').filter_map(weighted_tag).collect();
    weighted.sort_by(|(_, a), (_, b)| b.total_cmp(a));
    weighted.into_iter().map(|(tag, _)| tag).collect()
}

fn weighted_tag(entry: &str) -> Option<(&str, f32)> {
    let mut parts = entry.split(';').map(str::trim);
    let tag = parts.next().filter(|tag| !tag.is_empty() && *tag != "*")?;

    let mut weight = 1.0;
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            weight = value.trim().parse::<f32>().ok()?;
        }
    }

    (weight > 0.0 && weight <= 1.0).then_some((tag, weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static str {
        negotiate(ui_locales, accept_language).lang()
    }

    #[test]
    fn nothing_asked_gets_english() {
        assert_eq!(lang(None, None), "en");
        assert_eq!(lang(Some(""), Some("")), "en");
    }

    #[test]
    fn an_exact_tag_is_matched_in_any_case() {
        assert_eq!(lang(Some("pt-BR"), None), "pt-BR");
        assert_eq!(lang(Some("PT-br"), None), "pt-BR");
        assert_eq!(lang(None, Some("pt-br")), "pt-BR");
    }

    #[test]
    fn another_variant_of_a_language_gets_the_one_there_is() {
        assert_eq!(lang(Some("pt"), None), "pt-BR");
        assert_eq!(lang(Some("pt-PT"), None), "pt-BR");
        assert_eq!(lang(None, Some("en-GB")), "en");
    }

    #[test]
    fn ui_locales_win_over_accept_language() {
        assert_eq!(lang(Some("pt-BR"), Some("en-US,en;q=0.9")), "pt-BR");
        assert_eq!(lang(Some("en"), Some("pt-BR")), "en");
    }

    #[test]
    fn ui_locales_are_tried_in_order() {
        assert_eq!(lang(Some("de fr pt-PT en"), None), "pt-BR");
        assert_eq!(lang(Some("de en pt-BR"), None), "en");
    }

    #[test]
    fn unmatched_ui_locales_defer_to_accept_language() {
        assert_eq!(lang(Some("de ja"), Some("pt-BR,pt;q=0.9")), "pt-BR");
    }

    #[test]
    fn accept_language_is_ordered_by_weight() {
        assert_eq!(lang(None, Some("en;q=0.5, pt-BR;q=0.8")), "pt-BR");
        assert_eq!(lang(None, Some("de-DE, pt;q=0.7, en;q=0.9")), "en");
        assert_eq!(
            lang(None, Some("fr-CA,fr;q=0.9,pt;q=0.8,en;q=0.7")),
            "pt-BR"
        );
    }

    #[test]
    fn accept_language_ties_keep_their_order() {
        assert_eq!(lang(None, Some("pt;q=0.5, en;q=0.5")), "pt-BR");
    }

    #[test]
    fn refused_wildcard_and_malformed_entries_are_ignored() {
        assert_eq!(lang(None, Some("pt-BR;q=0, en;q=0.1")), "en");
        assert_eq!(lang(None, Some("*, pt")), "pt-BR");
        assert_eq!(lang(None, Some("pt;q=lots, de")), "en");
        assert_eq!(lang(None, Some(",,;q=1, pt;Q=0.3")), "pt-BR");
    }
}
