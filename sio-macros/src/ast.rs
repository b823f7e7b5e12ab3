//! The parsed form of a `#[namespace]` impl block.

use syn::{Attribute, FnArg, ImplItem, ItemImpl, ReturnType, Type};

use crate::attr::{Role, is_data, role_of};
use crate::ctxt::Ctxt;

/// How a handler takes `self`.
pub(crate) enum Receiver {
    Ref,
    /// `&mut self` or `self`: refused, with the tokens to point at.
    Other(proc_macro2::TokenStream),
    None,
}

/// One parameter of a handler.
pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) data: Option<Attribute>,
}

/// A method with one of our attributes.
pub(crate) struct Handler {
    pub(crate) role: Role,
    pub(crate) role_attr: Attribute,
    pub(crate) ident: syn::Ident,
    pub(crate) fn_token: syn::Token![fn],
    pub(crate) is_async: bool,
    pub(crate) receiver: Receiver,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Option<Type>,
}

/// The impl block, with our attributes taken out of it, and its handlers.
pub(crate) struct Namespace {
    pub(crate) item: ItemImpl,
    pub(crate) handlers: Vec<Handler>,
}

impl Namespace {
    pub(crate) fn parse(cx: &mut Ctxt, mut item: ItemImpl) -> Namespace {
        let mut handlers = Vec::new();
        for impl_item in &mut item.items {
            let ImplItem::Fn(method) = impl_item else {
                continue;
            };
            let mut role: Option<(Role, Attribute)> = None;
            let mut kept = Vec::new();
            for attr in method.attrs.drain(..) {
                match role_of(cx, &attr) {
                    Some(r) => match &role {
                        Some((first, _)) => cx.error_spanned_by(
                            &attr,
                            format!(
                                "this method is already marked `#[{}]`; a method has one role",
                                first.name()
                            ),
                        ),
                        None => role = Some((r, attr)),
                    },
                    None => {
                        let ours = attr.path().get_ident().is_some_and(|i| {
                            [
                                "on",
                                "on_server_side",
                                "on_connect",
                                "on_disconnect",
                                "on_disconnecting",
                                "on_any",
                                "middleware",
                                "use_event",
                                "on_error",
                                "on_any_outgoing",
                            ]
                            .contains(&i.to_string().as_str())
                        });
                        if !ours {
                            kept.push(attr);
                        }
                    }
                }
            }
            method.attrs = kept;
            let mut params = Vec::new();
            let mut receiver = Receiver::None;
            for input in &mut method.sig.inputs {
                match input {
                    FnArg::Receiver(r) => {
                        receiver = if r.reference.is_some() && r.mutability.is_none() {
                            Receiver::Ref
                        } else {
                            Receiver::Other(quote::quote!(#r))
                        };
                    }
                    FnArg::Typed(pat) => {
                        let mut data = None;
                        pat.attrs.retain(|a| {
                            if is_data(a) {
                                if data.is_none() {
                                    data = Some(a.clone());
                                } else if role.is_some() {
                                    cx.error_spanned_by(
                                        a,
                                        "`#[data]` appears twice on this parameter",
                                    );
                                }
                                false
                            } else {
                                true
                            }
                        });
                        params.push(Param {
                            ty: (*pat.ty).clone(),
                            data,
                        });
                    }
                }
            }
            let Some((role, role_attr)) = role else {
                for p in &params {
                    if let Some(a) = &p.data {
                        cx.error_spanned_by(
                            a,
                            "`#[data]` marks the payload of a handler: add `#[on(\"event\")]` (or another handler attribute) to this method",
                        );
                    }
                }
                continue;
            };
            handlers.push(Handler {
                role,
                role_attr,
                ident: method.sig.ident.clone(),
                fn_token: method.sig.fn_token,
                is_async: method.sig.asyncness.is_some(),
                receiver,
                params,
                output: match &method.sig.output {
                    ReturnType::Default => None,
                    ReturnType::Type(_, ty) => Some((**ty).clone()),
                },
            });
        }
        Namespace { item, handlers }
    }
}
