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
home-cta-register = Create an account
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

# Forms
form-has-errors = Please check the fields marked below.

# Registration
nav-register = Register
register-title = Register
register-lead = Create a Propusk account. Confirm your phone with the code we text you, and the account is ready.
register-name-legend = Surname, first name and patronymic — as in your passport
register-last-name = Surname
register-first-name = First name
register-middle-name = Patronymic (if any)
register-contacts-legend = Contacts
register-contacts-hint = Give a mobile phone number or an email address; the confirmation code goes to the phone.
register-phone = Mobile phone
register-email = Email
register-password-legend = Password
register-password = Password
register-password-hint = At least 8 characters with a digit, a lower- and an upper-case letter. Do not use your phone, email or name.
register-consent-summary = Consent to the processing of personal data
register-consent-text = I consent to the operator of the Propusk platform processing my personal data (surname, first name, patronymic, phone number, email address) under Federal Law No. 152-FZ "On Personal Data" in order to create and keep my account, confirm my identity and provide services. The consent lasts until the account is deleted and may be withdrawn.
register-consent-label = I have read and give my consent to the processing of personal data
register-submit = Register
register-confirm-title = Confirm your phone
register-code-sent = If the number is right, a confirmation code has been sent to it. It is valid for 5 minutes.
register-code-label = Code from the text message
register-confirm-submit = Confirm
register-resend = Send the code again
register-code-wrong = Wrong code. Tries left: { $tries }
register-code-expired = The code has expired or was not requested. Ask for a new code.
register-code-exhausted = No tries left. Ask for a new code.
register-code-wait = You can ask for a new code in { $seconds } s.
register-done-title = Account confirmed
register-done-body = Your phone is confirmed and the account is active (simplified level). To get a standard account, add your passport and SNILS in your cabinet.

# Demo outbox
outbox-title = Sent messages (demo)
outbox-lead = In demo mode emails and text messages do not leave the machine: they are shown here, newest first.
outbox-empty = No messages yet.
outbox-when = Time (UTC)
outbox-channel = Channel
outbox-to = To
outbox-message = Message

# Sign-in
nav-login = Sign in
nav-logout = Sign out
nav-cabinet = My cabinet
login-title = Sign in
login-login = Phone, email or SNILS
login-login-hint = For example, +7 916 123-45-67 or 112-233-445 95
login-submit = Sign in
login-no-account = No account yet?
login-login-required = Enter your phone, email or SNILS
login-password-required = Enter your password
login-wrong = Wrong login or password
login-locked = Too many failed sign-in attempts. Try again after { $time } (Moscow time).
login-blocked = This account is blocked. Please contact support.

# Cabinet
cabinet-title = My cabinet
cabinet-overview = Overview
cabinet-status = Account status
cabinet-trust = Account level
status-awaiting = awaiting confirmation
status-active = active
status-blocked = blocked
status-deleted = deleted
trust-none = not set
trust-simplified = simplified
trust-standard = standard
trust-confirmed = confirmed
contact-confirmed = confirmed
contact-unconfirmed = not confirmed
sessions-title = Active sessions
sessions-lead = Devices signed in to your account. If you do not recognise one, end it and change your password.
sessions-device = Device
sessions-ip = IP address
sessions-since = Signed in
sessions-last-seen = Last active (Moscow time)
sessions-actions = Actions
sessions-this = this session
sessions-end = End
sessions-end-others = End all other sessions
sessions-ended-one = The session has ended.
sessions-ended-others = All other sessions have ended.
history-title = Sign-in history
history-lead = Sign-in attempts of the last 90 days, newest first. Times are Moscow time.
history-empty = Nothing here yet.
history-when = Time
history-result = Result
history-success = signed in
history-wrong-password = wrong password
history-locked = sign-in locked
history-factor-failed = wrong second factor
history-rate-limited = too many attempts
pager-label = Pages
pager-prev = Previous
pager-next = Next
pager-page = Page { $page }

# Second factor
factor-title = Confirm sign-in
factor-lead = Enter the code from your authenticator app, one of your backup codes, or a code sent by SMS.
factor-code = Code
factor-code-hint = 6 digits from the app or the SMS, or a backup code like abcd-efgh
factor-code-required = Enter the code
factor-code-wrong = Wrong or already used code
factor-send-sms = Send me a code by SMS
factor-sms-sent = A code has been sent to your confirmed phone. It is valid for 5 minutes.
factor-no-phone = This account has no confirmed phone. Use your app or a backup code.
factor-app-code = Code from the app
security-title = Security
security-totp = Sign-in with an app code
security-totp-is-on = The second factor is on: signing in needs a code from your app.
security-totp-is-off = The second factor is off. Turn it on so that signing in needs a code from an authenticator app as well as the password.
security-totp-enable = Turn on
security-step-scan = Scan the QR code with your authenticator app.
security-qr-label = QR code for the authenticator app
security-step-key = Or type the key by hand:
security-step-code = Enter the code the app shows.
security-totp-confirm = Confirm and turn on
security-totp-on = The second factor is on.
security-totp-off = The second factor is off.
security-totp-disable = Turn the second factor off
security-wrong-password = Wrong password
security-backup-title = Backup codes
security-backup-once = Keep these codes somewhere safe: they are shown only once. Each code signs you in once when your app is not at hand.
security-backup-left = Backup codes left: { $count }.
security-backup-new = Make new backup codes
cabinet-snils = SNILS
cabinet-inn = INN

# Email confirmation
email-confirm-title = Confirm your email
email-confirm-lead = Press the button to confirm your email address.
email-confirm-submit = Confirm my email
email-sent = We have sent you an email with a confirmation link. Open it and follow the link; it is valid for 24 hours.
email-link-invalid = This link does not work: it has expired, has been used, or was not copied in full.

# Recovery and password change
recover-title = Recover access
recover-lead = Give the confirmed phone or email of your account. We will send a code by SMS or a link by email.
recover-login = Phone or email
recover-submit = Continue
recover-code-sent = If the number belongs to an account, a code has been sent to it. It is valid for 5 minutes.
recover-email-sent = If the address belongs to an account, an email with a link has been sent to it. The link is valid for 30 minutes.
recover-password-lead = Set a new password. Every session will end afterwards.
recover-new-password = New password
recover-proof = Prove it is you
recover-proof-hint = Your second factor is on: enter a backup code, or your passport number together with the SNILS in your profile.
recover-proof-wrong = The backup code, or the passport and SNILS, do not match
recover-save = Save the password
recover-again = Start again
login-forgot = Forgot your password?
login-recovered = Your password has been changed. Sign in with the new one.
password-title = Change password
password-current = Current password
password-submit = Change password
password-changed = The password has been changed and your other sessions ended.

# Profile
profile-title = Personal data
profile-person = About you
profile-birth-date = Date of birth
profile-birth-place = Place of birth
profile-gender = Sex
profile-female = female
profile-male = male
profile-passport = Russian passport
profile-passport-number = Series and number
profile-passport-number-hint = For example, 45 10 123456
profile-passport-issue-date = Date of issue
profile-passport-issuer = Issued by
profile-passport-division = Division code
profile-passport-division-hint = For example, 772-001
profile-numbers = SNILS and INN
profile-snils-hint = 11 digits, for example 112-233-445 95
profile-inn-hint = 12 digits
profile-address = Registered address
profile-address-line = Address
profile-postal-code = Postal code
profile-save = Save
profile-saved = Saved.
profile-saved-check = Saved. Your passport and SNILS will be checked against the state registries; after the check the account becomes standard.
profile-identity-pending = Your passport and SNILS are waiting to be checked against the state registries.
profile-identity-verified = Your passport and SNILS have been checked.
profile-identity-rejected = The check of your passport and SNILS failed. Please check the data.

# Deletion
delete-title = Delete the account
delete-lead = The account will be deleted in 30 days; until then you can cancel. After that your personal data is erased for good.
delete-submit = Delete my account
delete-scheduled = The account will be deleted on { $time } (Moscow time).
delete-cancel = Cancel the deletion
delete-cancelled = The deletion has been cancelled.

# Contacts
contacts-title = Contacts
contacts-change = Change phone or email
contacts-new-phone = New mobile phone
contacts-new-email = New email
contacts-send-code = Send me a code
contacts-send-link = Send a link
contacts-link-sent = If the address is free, a confirmation link has been sent to it. It replaces the old address once confirmed.
contacts-phone-changed = The phone has been replaced. A notice went to the old number.
contacts-taken = This contact already belongs to another account.
recover-backup-code = Backup code
recover-or = or
recover-passport = Passport series and number

# Identity check log (the standard level)
identity-log-title = Check log
identity-log-time = Time
identity-log-source = Registry
identity-log-event = Event
identity-next-try = A registry is unavailable right now. Next try: { $time } (Moscow time).
identity-reason = Reason: { $reason }
identity-registry-fns = FNS (tax service)
identity-registry-mvd = MVD (interior ministry)
identity-registry-sfr = SFR (social fund)
identity-registry-none = Propusk
identity-msg-queued = Sent for checking
identity-msg-passed = Confirmed
identity-msg-unavailable = Registry unavailable
identity-msg-retry = The check will be repeated automatically
identity-msg-verified = Check passed: the account is now standard
identity-msg-rejected = Check failed
identity-msg-passport_not_found = No passport with this series and number was issued
identity-msg-passport_invalid = The passport is not valid
identity-msg-passport_mismatch = The passport data differ from the MVD record
identity-msg-snils_not_found = SFR has no such SNILS
identity-msg-snils_mismatch = The SNILS belongs to someone else or the data differ
identity-msg-inn_mismatch = The INN entered differs from the FNS record
identity-msg-check_refused = The registry could not check the data in this form
identity-msg-incomplete = The check needs the birth date, passport and SNILS
identity-msg-registries_unavailable = The registries were unavailable for a day; save the data again to repeat the check
identity-why-EXPIRED = expired
identity-why-LOST = declared lost
identity-why-REPLACED = replaced by a new one
identity-field-lastName = last name
identity-field-firstName = first name
identity-field-middleName = patronymic
identity-field-birthDate = birth date
identity-field-issueDate = issue date
identity-field-gender = gender

# Sole proprietorships
business-title = Business
business-none = You have not added a sole proprietorship yet.
business-add = Add a sole proprietorship
business-ogrnip = OGRNIP
business-ogrnip-hint = 15 digits, from the ЕГРИП record sheet
business-since = registered
business-submit = Find in ЕГРИП and add
business-added = Found in ЕГРИП and added.
business-needs-confirmed = Only a confirmed account can add a sole proprietorship.
