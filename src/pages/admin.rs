//! The admin pages (`templates/pages/admin/`): login, change password, the
//! admin home and the users pages. The origin decides who may see what
//! and fills these in; everything a user typed is escaped by askama's HTML
//! escaper. The pages carry no script: forms post, the origin redirects.

use askama::Template;

use super::PageError;

pub use super::admin_streams::{
    media, report, stream, streams, OptionField, StreamRow, StreamView,
};

/// The signed-in user's bar: who, and the logout form's CSRF token.
#[derive(Debug, Clone, Copy)]
pub struct Nav<'a> {
    pub username: &'a str,
    pub is_admin: bool,
    pub csrf: &'a str,
}

/// What every page has: a title, the bar (none when signed out), an error
/// and a notice.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub title: &'a str,
    pub nav: Option<Nav<'a>>,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

/// A user as the pages show one.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub username: String,
    pub email: String,
    pub groups: Vec<&'static str>,
    pub must_change: bool,
    /// Already formatted (`never`, or a UTC time).
    pub last_login: String,
}

/// The group names, in the order the forms list them.
pub const GROUPS: [&str; 3] = ["admin", "media", "user"];

#[derive(Template)]
#[template(path = "pages/admin/login.html")]
struct Login<'a> {
    f: Frame<'a>,
    username: &'a str,
    csrf: &'a str,
    next: &'a str,
}

#[derive(Template)]
#[template(path = "pages/admin/home.html")]
struct Home<'a> {
    f: Frame<'a>,
    groups: &'a [&'static str],
}

#[derive(Template)]
#[template(path = "pages/admin/password.html")]
struct Password<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    forced: bool,
    min: usize,
}

#[derive(Template)]
#[template(path = "pages/admin/users.html")]
struct Users<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    users: &'a [UserRow],
    all_groups: [&'static str; 3],
    /// (user, password) of a user just added with a made-up password.
    password: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "pages/admin/user.html")]
struct User<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    user: &'a UserRow,
    is_self: bool,
    all_groups: [&'static str; 3],
    password: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/admin/message.html")]
struct Message<'a> {
    f: Frame<'a>,
}

fn done(page: &'static str, r: askama::Result<String>) -> Result<String, PageError> {
    r.map_err(|source| PageError::Render { page, source })
}

/// `next`: where to go after logging in (a path of this site).
pub fn login(f: Frame, username: &str, csrf: &str, next: &str) -> Result<String, PageError> {
    let page = Login {
        f,
        username,
        csrf,
        next,
    };
    done("login", page.render())
}

pub fn home(f: Frame, groups: &[&'static str]) -> Result<String, PageError> {
    done("admin home", Home { f, groups }.render())
}

/// `forced`: the user must change the password before anything else.
pub fn password(f: Frame, csrf: &str, forced: bool, min: usize) -> Result<String, PageError> {
    let page = Password {
        f,
        csrf,
        forced,
        min,
    };
    done("password", page.render())
}

pub fn users(
    f: Frame,
    csrf: &str,
    users: &[UserRow],
    password: Option<(&str, &str)>,
) -> Result<String, PageError> {
    let page = Users {
        f,
        csrf,
        users,
        all_groups: GROUPS,
        password,
    };
    done("users", page.render())
}

pub fn user(
    f: Frame,
    csrf: &str,
    user: &UserRow,
    is_self: bool,
    password: Option<&str>,
) -> Result<String, PageError> {
    let page = User {
        f,
        csrf,
        user,
        is_self,
        all_groups: GROUPS,
        password,
    };
    done("user", page.render())
}

/// A page that only says something (the frame's error or notice).
pub fn message(f: Frame) -> Result<String, PageError> {
    done("message", Message { f }.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "<script>alert(1)</script>\"'&";

    #[test]
    fn what_users_typed_is_escaped_on_every_page() {
        let nav = Nav {
            username: EVIL,
            is_admin: true,
            csrf: EVIL,
        };
        let f = Frame {
            title: EVIL,
            nav: Some(nav),
            error: Some(EVIL),
            notice: Some(EVIL),
        };
        let row = UserRow {
            username: EVIL.into(),
            email: EVIL.into(),
            groups: vec!["admin"],
            must_change: true,
            last_login: EVIL.into(),
        };
        let pages = [
            login(f, EVIL, EVIL, EVIL).unwrap(),
            home(f, &["media"]).unwrap(),
            password(f, EVIL, true, 10).unwrap(),
            users(f, EVIL, std::slice::from_ref(&row), Some((EVIL, EVIL))).unwrap(),
            user(f, EVIL, &row, false, Some(EVIL)).unwrap(),
            message(f).unwrap(),
        ];
        for page in pages {
            assert!(!page.contains("<script"), "{page}");
            assert!(
                page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
                "{page}"
            );
        }
    }

    #[test]
    fn the_user_page_offers_no_delete_of_oneself() {
        let f = Frame {
            title: "ann",
            nav: None,
            error: None,
            notice: None,
        };
        let row = UserRow {
            username: "ann".into(),
            email: String::new(),
            groups: vec!["media"],
            must_change: false,
            last_login: "never".into(),
        };
        let other = user(f, "t", &row, false, None).unwrap();
        assert!(other.contains("value=\"delete\""));
        assert!(other.contains("value=\"media\" checked"));
        assert!(!other.contains("value=\"admin\" checked"));
        let own = user(f, "t", &row, true, None).unwrap();
        assert!(!own.contains("value=\"delete\""));
    }
}
