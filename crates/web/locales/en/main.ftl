# Portal frame
portal-name = Propusk
portal-tagline = State services for financial services
skip-to-content = Skip to content
nav-home = Home
nav-api = For partners: API
lang-switch-label = Language
lang-switch-to = Русский
lang-switch-hint = Переключить на русский
footer-about = Propusk is an open state-services platform for financial organizations and citizens.
footer-source = Open source
footer-version = Version { $version }

# Home page
home-title = Propusk — your pass to state and financial services
home-lead = One account to confirm who you are, control who may read your data, and see your charges, certificates and applications.
home-for-citizens-title = For citizens and sole proprietors
home-for-citizens-body = Register, confirm your identity — in person or through a partner bank — and protect sign-in with a second factor. In your cabinet you see debts and fines, order certificates and statements, and send applications.
home-for-orgs-title = For banks and microfinance organizations
home-for-orgs-body = Customer sign-in with OpenID Connect under the FAPI 2.0 security profile, and verified state-registry data — only with the citizen's explicit consent and only for the stated purpose.
home-consent-title = Your data under your control
home-consent-body = Every consent is visible in your cabinet: who, which data, what for and until when. Every read an organization makes is logged, and you can revoke a consent at any time.
home-cta-docs = API documentation

# Errors
error-not-found-title = Page not found
error-not-found-body = There is no such page. Check the address or go back to the home page.
error-internal-title = Something went wrong
error-internal-body = An internal error occurred. It has been logged; please try again later. If it happens again, give support the request code.
error-unavailable-title = Service temporarily unavailable
error-unavailable-body = The service cannot handle the request right now. Please try again in a few minutes.
error-bad-request-title = Bad request
error-bad-request-body = The request could not be understood. Check what you entered.
error-validation-title = Check what you entered
error-too-large-title = Request too large
error-too-large-body = The request is larger than allowed.
error-timeout-title = Request timed out
error-timeout-body = The request took too long. Please try again.
error-method-title = Method not allowed
error-method-body = This address does not accept this kind of request.
error-forbidden-title = Access denied
error-forbidden-body = You are not allowed to do this.
error-request-id = Request code: { $id }
error-back-home = Home page

# API problems
problem-unknown-kind = Unknown identifier kind. Valid kinds: { $kinds }
problem-bik-required = Give the bank's BIK to check an account number
problem-missing-field = This field is required
problem-bad-json = The request body is not valid JSON of the expected shape: { $reason }
problem-bad-content-type = Expected a body of type application/json
