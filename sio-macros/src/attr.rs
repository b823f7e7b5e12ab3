//! The arguments of `#[namespace(...)]` and the method attributes.

use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprPath, LitBool, LitStr, Token};

use crate::ctxt::Ctxt;

/// The options of `#[namespace("/path", init = f, auto = false, crate = "…")]`.
pub(crate) struct NamespaceArgs {
    pub(crate) path: Option<LitStr>,
    pub(crate) init: Option<ExprPath>,
    pub(crate) auto: bool,
    pub(crate) krate: Option<syn::Path>,
}

const OPTIONS: &str = "`init`, `auto`, `crate`";

struct Raw {
    path: Option<LitStr>,
    pairs: Vec<(syn::Ident, Expr)>,
}

impl Parse for Raw {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = if input.peek(LitStr) {
            Some(input.parse()?)
        } else {
            None
        };
        let mut pairs = Vec::new();
        while !input.is_empty() {
            if path.is_some() || !pairs.is_empty() {
                input.parse::<Token![,]>()?;
                if input.is_empty() {
                    break;
                }
            }
            let key = syn::Ident::parse_any(input)?;
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            pairs.push((key, value));
        }
        Ok(Raw { path, pairs })
    }
}

impl NamespaceArgs {
    pub(crate) fn parse(cx: &mut Ctxt, tokens: proc_macro2::TokenStream) -> NamespaceArgs {
        let mut args = NamespaceArgs {
            path: None,
            init: None,
            auto: true,
            krate: None,
        };
        let raw: Raw = match syn::parse2(tokens) {
            Ok(raw) => raw,
            Err(err) => {
                cx.syn_error(err);
                return args;
            }
        };
        match raw.path {
            Some(path) => {
                if !path.value().starts_with('/') {
                    cx.error_spanned_by(
                        &path,
                        format!(
                            "a namespace path starts with `/`: write \"/{}\"",
                            path.value()
                        ),
                    );
                }
                args.path = Some(path);
            }
            None => cx.syn_error(syn::Error::new(
                proc_macro2::Span::call_site(),
                "the namespace needs its path: `#[namespace(\"/chat\")]`",
            )),
        }
        for (key, value) in raw.pairs {
            match key.to_string().as_str() {
                "init" => match value {
                    Expr::Path(p) => args.init = Some(p),
                    other => cx.error_spanned_by(
                        other,
                        "`init` takes the path of a function `fn(&State) -> Self`",
                    ),
                },
                "auto" => match value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Bool(LitBool { value, .. }),
                        ..
                    }) => args.auto = value,
                    other => cx.error_spanned_by(other, "`auto` takes `true` or `false`"),
                },
                "crate" => match value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => match s.parse::<syn::Path>() {
                        Ok(path) => args.krate = Some(path),
                        Err(_) => cx.error_spanned_by(
                            s,
                            "`crate` takes a path in a string: `crate = \"::sio\"`",
                        ),
                    },
                    other => cx.error_spanned_by(
                        other,
                        "`crate` takes a path in a string: `crate = \"::sio\"`",
                    ),
                },
                _ => cx.error_spanned_by(
                    &key,
                    format!("unknown namespace option `{key}`; the options are {OPTIONS}"),
                ),
            }
        }
        args
    }
}

/// What a method attribute makes of the method.
#[derive(Clone)]
pub(crate) enum Role {
    Event(LitStr),
    /// `#[on_server_side("event")]`: a server-side emit from another server.
    ServerSide(LitStr),
    Connect,
    Disconnect,
    Disconnecting,
    Any,
    Middleware,
    UseEvent,
    Error,
    Outgoing,
}

impl Role {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Role::Event(_) => "on",
            Role::ServerSide(_) => "on_server_side",
            Role::Connect => "on_connect",
            Role::Disconnect => "on_disconnect",
            Role::Disconnecting => "on_disconnecting",
            Role::Any => "on_any",
            Role::Middleware => "middleware",
            Role::UseEvent => "use_event",
            Role::Error => "on_error",
            Role::Outgoing => "on_any_outgoing",
        }
    }
}

/// Reads the role attribute of a method, if it has one.
pub(crate) fn role_of(cx: &mut Ctxt, attr: &syn::Attribute) -> Option<Role> {
    let ident = attr.path().get_ident()?.to_string();
    let role = match ident.as_str() {
        "on" => Role::Event(event_name(
            cx,
            attr,
            "`#[on]` takes the event name: `#[on(\"message\")]`",
        )?),
        "on_server_side" => Role::ServerSide(event_name(
            cx,
            attr,
            "`#[on_server_side]` takes the event name: `#[on_server_side(\"ping\")]`",
        )?),
        "on_connect" => Role::Connect,
        "on_disconnect" => Role::Disconnect,
        "on_disconnecting" => Role::Disconnecting,
        "on_any" => Role::Any,
        "middleware" => Role::Middleware,
        "use_event" => Role::UseEvent,
        "on_error" => Role::Error,
        "on_any_outgoing" => Role::Outgoing,
        _ => return None,
    };
    if !matches!(role, Role::Event(_) | Role::ServerSide(_))
        && !matches!(attr.meta, syn::Meta::Path(_))
    {
        cx.error_spanned_by(attr, format!("`#[{ident}]` takes no arguments"));
    }
    Some(role)
}

/// The event name an attribute takes (`#[on("message")]`); `None` (and `missing` reported on
/// the attribute) when it has none.
fn event_name(cx: &mut Ctxt, attr: &syn::Attribute, missing: &str) -> Option<LitStr> {
    match attr.parse_args::<LitStr>() {
        Ok(name) => {
            if name.value().is_empty() {
                cx.error_spanned_by(&name, "the event name is empty");
            }
            Some(name)
        }
        Err(_) => {
            cx.error_spanned_by(attr, missing);
            None
        }
    }
}

/// Whether a parameter attribute is `#[data]`.
pub(crate) fn is_data(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("data")
}
