//! Writes the code of a `#[namespace]` impl: the `Namespace` and `NamespaceDef` impls and the
//! registration record. Generated code names only absolute paths and the runtime's hidden
//! `__private` module.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, LitStr, Type};

use crate::ast::{Handler, Namespace};
use crate::attr::{NamespaceArgs, Role};
use crate::ctxt::Ctxt;
use crate::valid;

pub(crate) fn namespace(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let args = NamespaceArgs::parse(&mut cx, args);
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "`#[namespace]` goes on an `impl` block: `#[namespace(\"/chat\")] impl Chat { … }`",
            )
            .to_compile_error();
            return quote!(#err #input);
        }
    };
    if let Some((_, path, _)) = &item.trait_ {
        cx.error_spanned_by(
            path,
            "`#[namespace]` goes on an inherent `impl` block, not a trait impl",
        );
    }
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "a namespace type cannot be generic");
    }
    let ns = Namespace::parse(&mut cx, item);
    valid::check(&mut cx, &ns);
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::sio_core));
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| LitStr::new("/", Span::call_site()));
    let stripped = &ns.item;
    if !cx.is_ok() {
        // The stripped impl and a stub keep the user's code compiling, so the one mistake
        // above is all they see.
        let errors = cx.into_tokens();
        let self_ty = &ns.item.self_ty;
        return quote! {
            #errors
            #stripped
            const _: () = {
                impl #krate::__private::Namespace for #self_ty {
                    fn on_event(
                        self: #krate::__private::Arc<Self>,
                        _: #krate::__private::SocketRef,
                        _: #krate::__private::EventParts,
                    ) -> #krate::__private::BoxFuture<'static, ()> {
                        ::std::boxed::Box::pin(async {})
                    }
                }
                impl #krate::__private::NamespaceDef for #self_ty {
                    const PATH: &'static str = #path;
                    const EVENTS: &'static [#krate::__private::EventInfo] = &[];
                }
            };
        };
    }
    let body = expand(&ns, &args, &krate, &path);
    quote! {
        #stripped
        const _: () = { #body };
    }
}

fn expand(ns: &Namespace, args: &NamespaceArgs, krate: &syn::Path, path: &LitStr) -> TokenStream {
    let p = quote!(#krate::__private);
    let self_ty = &ns.item.self_ty;
    let of = |role: fn(&Role) -> bool| ns.handlers.iter().filter(move |h| role(&h.role));

    let middlewares = of(|r| matches!(r, Role::Middleware)).map(|h| middleware_call(h, &p));
    let event_middlewares: Vec<TokenStream> = of(|r| matches!(r, Role::UseEvent))
        .map(|h| middleware_call(h, &p))
        .collect();
    let event_middleware = if event_middlewares.is_empty() {
        quote!()
    } else {
        let run = middleware_method(&p, "event_middleware", quote!(#(#event_middlewares)*));
        quote! {
            fn has_event_middleware(&self) -> bool {
                true
            }

            #run
        }
    };
    let outgoing = match of(|r| matches!(r, Role::Outgoing)).next() {
        Some(h) => {
            let ident = &h.ident;
            quote! {
                fn has_outgoing_listener(&self) -> bool {
                    true
                }

                fn on_outgoing(
                    &self,
                    socket: &#p::SocketRef,
                    event: &str,
                    args: &[#p::Value],
                ) {
                    self.#ident(socket, event, args)
                }
            }
        }
        None => quote!(),
    };
    let hook = |role: fn(&Role) -> bool, method: &str| -> TokenStream {
        match of(role).next() {
            Some(h) => handler_method(&p, method, handler_body(h, &p)),
            None => quote!(),
        }
    };
    let on_connect = hook(|r| matches!(r, Role::Connect), "on_connect");
    let on_disconnect = hook(|r| matches!(r, Role::Disconnect), "on_disconnect");
    let on_disconnecting = hook(|r| matches!(r, Role::Disconnecting), "on_disconnecting");
    let on_error = hook(|r| matches!(r, Role::Error), "on_error");
    let server_side = server_side_method(
        &of(|r| matches!(r, Role::ServerSide(_))).collect::<Vec<_>>(),
        &p,
    );

    let arms = of(|r| matches!(r, Role::Event(_))).map(|h| {
        let Role::Event(name) = &h.role else {
            unreachable!()
        };
        let body = handler_body(h, &p);
        quote!(if parts.event == #name { #body })
    });
    let fallback = match of(|r| matches!(r, Role::Any)).next() {
        Some(h) => handler_body(h, &p),
        None => quote!(#p::unhandled(&socket, &parts)),
    };

    let events = of(|r| matches!(r, Role::Event(_))).map(|h| {
        let Role::Event(name) = &h.role else {
            unreachable!()
        };
        let payload = h
            .params
            .iter()
            .find(|p| p.data.is_some())
            .map_or_else(|| quote!("()"), |p| type_string(&p.ty));
        let ack = h.output.as_ref().map_or_else(|| quote!("()"), type_string);
        quote!(#p::EventInfo { name: #name, payload: #payload, ack: #ack })
    });

    let registration = if args.auto {
        let value = match &args.init {
            Some(init) => quote_spanned!(init.span()=> #p::call_init(ctx, #init)?),
            None => {
                quote_spanned!(self_ty.span()=> <#self_ty as #p::RequireDefault>::__sio_default())
            }
        };
        let type_name = quote!(#self_ty).to_string().replace(' ', "");
        quote! {
            fn __sio_make(
                ctx: &#p::BuildContext<'_>,
            ) -> ::core::result::Result<#p::Arc<dyn #p::Namespace>, ::std::string::String> {
                let value: #self_ty = #value;
                ::core::result::Result::Ok(#p::Arc::new(value))
            }
            #p::submit! {
                #p::Registration {
                    path: #path,
                    type_name: ::core::concat!(::core::module_path!(), "::", #type_name),
                    type_id: ::core::any::TypeId::of::<#self_ty>,
                    make: __sio_make,
                }
            }
        }
    } else {
        quote!()
    };

    let on_event = handler_method(&p, "on_event", quote!(#(#arms else)* { #fallback }));
    let connect_middleware = middleware_method(
        &p,
        "middleware",
        quote!(#(#middlewares)* let _ = (&socket, &parts);),
    );
    quote! {
        impl #p::Namespace for #self_ty {
            #connect_middleware

            #on_connect

            #on_event

            #on_disconnecting
            #on_disconnect
            #on_error
            #event_middleware
            #outgoing
            #server_side
        }

        impl #p::NamespaceDef for #self_ty {
            const PATH: &'static str = #path;
            const EVENTS: &'static [#p::EventInfo] = &[#(#events),*];
        }

        #registration
    }
}

fn type_string(ty: &Type) -> TokenStream {
    let s = quote!(#ty).to_string();
    quote!(#s)
}

/// Where a method's parameters are extracted from, and what a failed extraction does.
#[derive(Clone, Copy)]
enum Source {
    /// A socket's event or hook (`socket`, `parts`): the event is rejected.
    Event,
    /// A middleware's turn (`socket`, `parts`): the connection or event is refused (`?`).
    Middleware,
    /// A server-side emit (`emit`): the sender gets the error as its answer.
    ServerSide,
}

/// `let __sio_argN = extract…;` for every parameter, and the variable names.
fn extractors(h: &Handler, p: &TokenStream, source: Source) -> (Vec<TokenStream>, Vec<syn::Ident>) {
    let mut lets = Vec::new();
    let mut vars = Vec::new();
    for (i, param) in h.params.iter().enumerate() {
        let var = format_ident!("__sio_arg{}", i);
        let ty = &param.ty;
        let data = param.data.is_some();
        lets.push(match source {
            Source::ServerSide => {
                let extract = if data {
                    quote_spanned!(ty.span()=> #p::extract_server_side_data::<#ty>)
                } else {
                    quote_spanned!(ty.span()=> #p::extract_server_side::<#ty>)
                };
                quote! {
                    let #var = match #extract(&mut emit) {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(err) => return #p::reject_server_side(emit, err),
                    };
                }
            }
            Source::Event | Source::Middleware => {
                let extract = if data {
                    quote_spanned!(ty.span()=> #p::extract_data::<#ty>)
                } else {
                    quote_spanned!(ty.span()=> #p::extract::<#ty>)
                };
                if matches!(source, Source::Middleware) {
                    quote! {
                        let #var = #extract(&socket, &mut parts).map_err(#p::refusal)?;
                    }
                } else {
                    quote! {
                        let #var = match #extract(&socket, &mut parts) {
                            ::core::result::Result::Ok(value) => value,
                            ::core::result::Result::Err(err) => return #p::reject(&socket, &parts, err),
                        };
                    }
                }
            }
        });
        vars.push(var);
    }
    (lets, vars)
}

/// Extract the parameters from `source`, then call the method: its value is `__ret`. Returns
/// the statements and where the method's return type is written (its name, without one), for
/// the errors about the value it returns.
fn invoke(h: &Handler, p: &TokenStream, source: Source) -> (TokenStream, Span) {
    let (extracts, vars) = extractors(h, p, source);
    let ident = &h.ident;
    let call = quote_spanned!(ident.span()=> #p::assert_send(self.#ident(#(#vars),*)));
    let output = h
        .output
        .as_ref()
        .map_or_else(|| h.ident.span(), |t| t.span());
    let statements = quote! {
        #(#extracts)*
        let __ret = #call.await;
    };
    (statements, output)
}

/// A `Namespace` method that handles one event or hook (`on_event`, `on_connect`, …) with
/// `body`, which may take the parts (`let mut parts`).
fn handler_method(p: &TokenStream, name: &str, body: TokenStream) -> TokenStream {
    namespace_method(p, name, quote!(()), quote!(let mut parts = parts; #body))
}

/// A `Namespace` method that runs middleware turns in order (`middleware` for the connect
/// middlewares, `event_middleware` for the event ones): the first refusal ends it.
fn middleware_method(p: &TokenStream, name: &str, turns: TokenStream) -> TokenStream {
    let output = quote!(::core::result::Result<(), #p::ConnectError>);
    namespace_method(
        p,
        name,
        output,
        quote!(#turns ::core::result::Result::Ok(())),
    )
}

/// `fn name(self, socket, parts) -> BoxFuture<'static, output>`, its future running `body`.
fn namespace_method(
    p: &TokenStream,
    name: &str,
    output: TokenStream,
    body: TokenStream,
) -> TokenStream {
    let name = format_ident!("{}", name);
    quote! {
        fn #name(
            self: #p::Arc<Self>,
            socket: #p::SocketRef,
            parts: #p::EventParts,
        ) -> #p::BoxFuture<'static, #output> {
            ::std::boxed::Box::pin(async move { #body })
        }
    }
}

/// One middleware's turn, connect (`#[middleware]`) or event (`#[use_event]`) alike: extract
/// from a copy of the parts, call, and return the refusal (`?`) if it refuses.
fn middleware_call(h: &Handler, p: &TokenStream) -> TokenStream {
    let (invoke, output) = invoke(h, p, Source::Middleware);
    let check = quote_spanned!(output=> #p::into_connect(__ret));
    quote! {
        {
            let mut parts = ::core::clone::Clone::clone(&parts);
            #invoke
            #check?;
        }
    }
}

/// Extract, call, ack.
fn handler_body(h: &Handler, p: &TokenStream) -> TokenStream {
    let (invoke, output) = invoke(h, p, Source::Event);
    let ack = quote_spanned!(output=> #p::into_ack(__ret));
    quote! {
        #invoke
        #p::finish(&socket, &parts, #ack);
    }
}

/// `Namespace::on_server_side_emit`, dispatching by event name to the `#[on_server_side]`
/// listeners (nothing when there is none: the trait's default then logs every emit).
fn server_side_method(listeners: &[&Handler], p: &TokenStream) -> TokenStream {
    if listeners.is_empty() {
        return quote!();
    }
    let arms = listeners.iter().map(|h| {
        let Role::ServerSide(name) = &h.role else {
            unreachable!()
        };
        let (invoke, output) = invoke(h, p, Source::ServerSide);
        let answer = quote_spanned!(output=> #p::into_ack(__ret));
        quote! {
            if emit.event() == #name {
                #invoke
                #p::answer_server_side(emit, #answer);
            }
        }
    });
    quote! {
        fn on_server_side_emit(
            self: #p::Arc<Self>,
            emit: #p::ServerSideEmit,
        ) -> #p::BoxFuture<'static, ()> {
            ::std::boxed::Box::pin(async move {
                #[allow(unused_mut)]
                let mut emit = emit;
                #(#arms else)* {
                    #p::unhandled_server_side(&emit);
                }
            })
        }
    }
}
