//! What happens to a valid authorization request next: sign-in, consent, or
//! a code, following `prompt` and `max_age` (OpenID Connect Core 3.1.2.1).

use super::authorize::{AuthorizationRequest, Prompt};
use super::error::{ErrorCode, OAuthError};
use crate::domain::Scopes;
use crate::storage::models::session::Session;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Login,
    Consent,
    IssueCode,
    Fail(OAuthError),
}

/// What the person already did in this round of the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub just_signed_in: bool,
}

pub fn next_step(
    request: &AuthorizationRequest,
    session: Option<&Session>,
    granted_scopes: Option<&str>,
    first_party: bool,
    progress: Progress,
    now: i64,
) -> Step {
    if !progress.just_signed_in && needs_sign_in(request, session, now) {
        return match request.prompts(Prompt::None) {
            true => Step::Fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "the person is not signed in",
            )),
            false => Step::Login,
        };
    }
    if first_party || (consent_covers(request, granted_scopes) && !request.prompts(Prompt::Consent))
    {
        return Step::IssueCode;
    }
    match request.prompts(Prompt::None) {
        true => Step::Fail(OAuthError::new(
            ErrorCode::ConsentRequired,
            "the person has not consented",
        )),
        false => Step::Consent,
    }
}

fn needs_sign_in(request: &AuthorizationRequest, session: Option<&Session>, now: i64) -> bool {
    let Some(session) = session else {
        return true;
    };
    let too_old = request
        .max_age
        .is_some_and(|max_age| now - session.auth_time > max_age);
    too_old || request.prompts(Prompt::Login) || request.prompts(Prompt::SelectAccount)
}

fn consent_covers(request: &AuthorizationRequest, granted: Option<&str>) -> bool {
    let Some(granted) = granted else {
        return false;
    };
    let granted = Scopes::parse(granted).unwrap_or_default();
    request.scopes().is_subset_of(&granted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::authorize::ResponseMode;

    fn request(prompts: Vec<Prompt>, max_age: Option<i64>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "app".into(),
            redirect_uri: "https://app.test/cb".into(),
            response_mode: ResponseMode::Query,
            scope: "openid profile".into(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompts,
            max_age,
            login_hint: None,
            ui_locales: None,
        }
    }

    fn session(auth_time: i64) -> Session {
        Session {
            id_hash: "h".into(),
            user_id: "u".into(),
            auth_time,
            amr: "[\"pwd\"]".into(),
            created_at: auth_time,
            last_used_at: auth_time,
            expires_at: auth_time + 1000,
            ended_at: None,
            client_address: None,
            user_agent: None,
            idp: None,
            upstream_id_token: None,
        }
    }

    fn step(
        request: &AuthorizationRequest,
        session: Option<&Session>,
        granted: Option<&str>,
    ) -> Step {
        next_step(request, session, granted, false, Progress::default(), 1000)
    }

    #[test]
    fn without_a_session_the_person_signs_in_unless_prompt_is_none() {
        assert_eq!(step(&request(vec![], None), None, None), Step::Login);
        let failed = step(&request(vec![Prompt::None], None), None, None);
        assert!(matches!(failed, Step::Fail(e) if e.code == ErrorCode::LoginRequired));
    }

    #[test]
    fn a_session_with_consent_gets_a_code_without_prompting() {
        let s = session(900);
        assert_eq!(
            step(
                &request(vec![], None),
                Some(&s),
                Some("openid profile email")
            ),
            Step::IssueCode
        );
        assert_eq!(
            step(&request(vec![], None), Some(&s), Some("openid")),
            Step::Consent
        );
    }

    #[test]
    fn max_age_and_prompt_login_force_a_fresh_sign_in() {
        let s = session(900);
        assert_eq!(
            step(&request(vec![], Some(50)), Some(&s), Some("openid profile")),
            Step::Login
        );
        assert_eq!(
            step(
                &request(vec![], Some(500)),
                Some(&s),
                Some("openid profile")
            ),
            Step::IssueCode
        );
        assert_eq!(
            step(
                &request(vec![Prompt::Login], None),
                Some(&s),
                Some("openid profile")
            ),
            Step::Login
        );
        let after = next_step(
            &request(vec![Prompt::Login], None),
            Some(&s),
            Some("openid profile"),
            false,
            Progress {
                just_signed_in: true,
            },
            1000,
        );
        assert_eq!(after, Step::IssueCode);
    }

    #[test]
    fn prompt_consent_asks_again_and_first_party_never_asks() {
        let s = session(900);
        assert_eq!(
            step(
                &request(vec![Prompt::Consent], None),
                Some(&s),
                Some("openid profile")
            ),
            Step::Consent
        );
        let first_party = next_step(
            &request(vec![], None),
            Some(&s),
            None,
            true,
            Progress::default(),
            1000,
        );
        assert_eq!(first_party, Step::IssueCode);
    }
}
