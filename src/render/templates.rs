//! The handlebars registry for what people read. Shipped templates are compiled into
//! the binary from `templates/`; a `template_dir` from config overrides any of them
//! file by file (`<lang>/<kind>.hbs`, `<lang>/subject.hbs`, `<lang>/facts.hbs`).
//!
//! Strict mode: a template naming a missing value fails instead of printing nothing.
//! Values are escaped for plain text: control characters (CR, LF, ESC, ...) and bidi
//! overrides become spaces. Handlebars renders data and never parses it again, so
//! `{{…}}` inside spam text is printed as written.

use std::path::Path;

use handlebars::Handlebars;

use super::LANGUAGES;
use crate::cases::PartyKind;

macro_rules! shipped {
    ($($lang:literal),*) => {
        &[$(
            ($lang, "facts", include_str!(concat!("../../templates/", $lang, "/facts.hbs"))),
            ($lang, "subject", include_str!(concat!("../../templates/", $lang, "/subject.hbs"))),
            ($lang, "source_network", include_str!(concat!("../../templates/", $lang, "/source_network.hbs"))),
            ($lang, "bouncer", include_str!(concat!("../../templates/", $lang, "/bouncer.hbs"))),
            ($lang, "hosting_network", include_str!(concat!("../../templates/", $lang, "/hosting_network.hbs"))),
            ($lang, "registrar", include_str!(concat!("../../templates/", $lang, "/registrar.hbs"))),
            ($lang, "authority", include_str!(concat!("../../templates/", $lang, "/authority.hbs"))),
            ($lang, "mailbox_provider", include_str!(concat!("../../templates/", $lang, "/mailbox_provider.hbs"))),
        )*]
    };
}

/// (language, name, text) of every shipped template.
pub const SHIPPED: &[(&str, &str, &str)] = shipped!("en", "de", "ru", "es", "bg");

/// A template that could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {message}")]
    Load { name: String, message: String },
    #[error("rendering {name}: {message}")]
    Render { name: String, message: String },
}

/// The compiled templates.
pub struct Templates {
    registry: Handlebars<'static>,
}

impl Templates {
    /// The shipped templates, overridden by files in `dir` when given.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(false);
        registry.register_escape_fn(escape_plain);
        for (lang, name, text) in SHIPPED {
            let full = format!("{lang}/{name}");
            let text = match dir.map(|d| d.join(lang).join(format!("{name}.hbs"))) {
                Some(path) if path.is_file() => {
                    std::fs::read_to_string(&path).map_err(|e| TemplateError::Load {
                        name: path.display().to_string(),
                        message: e.to_string(),
                    })?
                }
                _ => text.to_string(),
            };
            if *name == "facts" {
                registry
                    .register_partial(&format!("facts_{lang}"), text.clone())
                    .map_err(|e| TemplateError::Load {
                        name: full.clone(),
                        message: e.to_string(),
                    })?;
            }
            registry
                .register_template_string(&full, text)
                .map_err(|e| TemplateError::Load {
                    name: full.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(Templates { registry })
    }

    /// Renders the body for a party kind in a language (English when the language has
    /// no templates).
    pub fn body(
        &self,
        lang: &str,
        kind: PartyKind,
        data: &serde_json::Value,
    ) -> Result<String, TemplateError> {
        self.render(&format!("{}/{}", known(lang), kind.name()), data)
    }

    /// Renders the subject line (later sanitised into a header).
    pub fn subject(&self, lang: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
        self.render(&format!("{}/subject", known(lang)), data)
    }

    fn render(&self, name: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
        self.registry
            .render(name, data)
            .map_err(|e| TemplateError::Render {
                name: name.into(),
                message: e.to_string(),
            })
    }
}

fn known(lang: &str) -> &str {
    if LANGUAGES.contains(&lang) {
        lang
    } else {
        "en"
    }
}

/// Plain-text escaping: a value stays on its line and cannot drive a terminal.
pub fn escape_plain(value: &str) -> String {
    crate::sanitize::replace(value, ' ', false)
}
