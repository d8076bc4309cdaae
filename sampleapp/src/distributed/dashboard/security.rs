//! Who may see and change what: the token (a bearer header, or a session cookie set by the
//! login form), the anti-forgery check on every action, and the headers that keep a page
//! from running anything it did not ship.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, extract::Query};
use maud::{Markup, html};
use serde::Deserialize;

use super::app::App;
use super::layout::page;

/// The session cookie's name.
const SESSION_COOKIE: &str = "pool_dashboard_session";

/// Only the dashboard's own script and style, no frames, forms only to itself.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Lets a request through if the dashboard has no token, or the request carries it (or the
/// session its login set); else sends a browser to the login form and anything else away.
/// Before that, refuses what another site's page sent: a request naming a host this
/// dashboard does not answer to (DNS rebinding), and a cross-site request that is not the
/// browser opening a page (a script's fetch, an image: a way to make the dashboard work for
/// an attacker's page).
pub(super) async fn require_token(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(why) = foreign(&app, request.headers()) {
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    let path = request.uri().path();
    let open = path == "/login" || path.starts_with("/static/");
    if open || allowed(&app, request.headers()) {
        return next.run(request).await;
    }
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if request.method() == Method::GET && wants_html {
        Redirect::to("/login").into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a token is required: Authorization: Bearer TOKEN",
        )
            .into_response()
    }
}

/// Why a request comes from another site's page, if it does.
fn foreign(app: &App, headers: &HeaderMap) -> Option<&'static str> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    if let Some(hosts) = &app.hosts
        && !text("host").is_some_and(|host| hosts.iter().any(|allowed| allowed == host))
    {
        return Some("this dashboard answers to its own address only (see --listen)");
    }
    if text("sec-fetch-site") == Some("cross-site") && text("sec-fetch-mode") != Some("navigate") {
        return Some("another site's page sent this request");
    }
    None
}

/// Whether the request carries the token or the session.
fn allowed(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.token else {
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim(), token));
    bearer || cookie(headers, SESSION_COOKIE).is_some_and(|given| same(&given, &app.session))
}

/// The value of cookie `name`, if the request has it.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Compares secrets in time independent of where they differ.
pub(super) fn same(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// Why an action was refused, if it was: a read-only dashboard, a form without this
/// process's anti-forgery value, or a request another site's page sent.
pub(super) fn refused(app: &App, headers: &HeaderMap, csrf: &str) -> Option<&'static str> {
    if app.read_only {
        return Some("this dashboard is read-only");
    }
    if !same(csrf, &app.csrf) {
        return Some("the form is stale or forged (its anti-forgery value does not match)");
    }
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    if header_text("sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return Some("another site's page sent this request");
    }
    // A browser names the page's origin; it must be this dashboard's (`null`, an opaque
    // origin such as a sandboxed frame's, is not).
    if let (Some(origin), Some(host)) = (header_text("origin"), header_text("host")) {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Some("another site's page sent this request");
        }
    }
    None
}

/// Adds the headers every response carries.
pub(super) async fn harden(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with the page's own
        // forms, and the origin check could not tell them from a sandboxed attacker's.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginQuery {
    failed: Option<String>,
}

/// The login form.
pub(super) async fn login_page(State(app): State<Arc<App>>, query: Query<LoginQuery>) -> Markup {
    page(
        "Log in",
        html! {
            @if app.token.is_none() {
                p { "This dashboard needs no token. " a href="/" { "See the queues." } }
            } @else {
                @if query.failed.is_some() {
                    p.flash.error { "That is not the token." }
                }
                form method="post" action="/login" {
                    label { "Token " input type="password" name="token" autocomplete="current-password" autofocus; }
                    " "
                    button type="submit" { "Log in" }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    token: String,
}

/// Checks the token, and sets the session cookie.
pub(super) async fn log_in(State(app): State<Arc<App>>, Form(form): Form<LoginForm>) -> Response {
    match &app.token {
        Some(token) if same(form.token.trim(), token) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                app.session
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Some(_) => Redirect::to("/login?failed=1").into_response(),
        None => Redirect::to("/").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{cookie, same};

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("ab", "abc"));
        assert!(!same("", "abc"));
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; pool_dashboard_session=s3cret; b=2"),
        );
        assert_eq!(
            cookie(&headers, "pool_dashboard_session").as_deref(),
            Some("s3cret")
        );
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
