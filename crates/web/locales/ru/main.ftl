# Portal frame
portal-name = Пропуск
portal-tagline = Госуслуги для финансовых сервисов
skip-to-content = Перейти к содержимому
nav-home = Главная
nav-api = Для партнёров: API
lang-switch-label = Язык
lang-switch-to = English
lang-switch-hint = Switch to English
footer-about = Пропуск — открытая платформа государственных услуг для финансовых организаций и граждан.
footer-source = Открытый исходный код
footer-version = Версия { $version }

# Home page
home-title = Пропуск — ваш доступ к госуслугам и финансовым сервисам
home-lead = Одна учётная запись, чтобы подтвердить личность, управлять согласиями на передачу данных и видеть свои начисления, справки и заявления.
home-for-citizens-title = Гражданам и предпринимателям
home-for-citizens-body = Зарегистрируйтесь, подтвердите личность — лично или через банк-партнёр — и защитите вход вторым фактором. В личном кабинете вы видите задолженности и штрафы, заказываете справки и выписки, подаёте заявления.
home-for-orgs-title = Банкам и микрофинансовым организациям
home-for-orgs-body = Вход клиентов по OpenID Connect с профилем безопасности FAPI 2.0 и проверенные данные государственных реестров — только с явного согласия гражданина и только для заявленной цели.
home-consent-title = Ваши данные под вашим контролем
home-consent-body = Каждое согласие видно в кабинете: кто, какие данные, для чего и до какого срока. Каждое обращение организации к данным записывается в журнал, а согласие можно отозвать в любой момент.
home-cta-register = Создать учётную запись
home-cta-docs = Документация API

# Errors
error-not-found-title = Страница не найдена
error-not-found-body = Такой страницы нет. Проверьте адрес или вернитесь на главную.
error-internal-title = Что-то пошло не так
error-internal-body = Произошла внутренняя ошибка. Мы уже записали её; попробуйте ещё раз позже. Если ошибка повторяется, сообщите в поддержку код запроса.
error-unavailable-title = Сервис временно недоступен
error-unavailable-body = Сейчас сервис не может обработать запрос. Повторите попытку через несколько минут.
error-bad-request-title = Некорректный запрос
error-bad-request-body = Запрос не удалось разобрать. Проверьте введённые данные.
error-validation-title = Проверьте введённые данные
error-too-large-title = Слишком большой запрос
error-too-large-body = Размер запроса превышает допустимый.
error-timeout-title = Превышено время ожидания
error-timeout-body = Запрос обрабатывался слишком долго. Попробуйте ещё раз.
error-method-title = Метод не поддерживается
error-method-body = Этот адрес не принимает такой запрос.
error-forbidden-title = Доступ запрещён
error-forbidden-body = У вас нет прав на это действие.
error-request-id = Код запроса: { $id }
error-back-home = На главную

# API problems
problem-unknown-kind = Неизвестный вид идентификатора. Допустимые: { $kinds }
problem-bik-required = Для проверки счёта укажите БИК банка
problem-missing-field = Не заполнено обязательное поле
problem-bad-json = Тело запроса не является корректным JSON этого вида: { $reason }
problem-bad-content-type = Ожидается тело с типом application/json

# Forms
form-has-errors = Проверьте поля, отмеченные ниже.

# Registration
nav-register = Регистрация
register-title = Регистрация
register-lead = Создайте учётную запись Пропуска. Подтвердите телефон кодом из СМС — и учётная запись готова.
register-name-legend = Фамилия, имя и отчество — как в паспорте
register-last-name = Фамилия
register-first-name = Имя
register-middle-name = Отчество (если есть)
register-contacts-legend = Контакты
register-contacts-hint = Укажите мобильный телефон или электронную почту; на телефон придёт код подтверждения.
register-phone = Мобильный телефон
register-email = Электронная почта
register-password-legend = Пароль
register-password = Пароль
register-password-hint = Не короче 8 символов, с цифрой, строчной и заглавной буквой. Не используйте телефон, почту или имя.
register-consent-summary = Согласие на обработку персональных данных
register-consent-text = Я даю согласие оператору платформы «Пропуск» на обработку моих персональных данных (фамилия, имя, отчество, номер телефона, адрес электронной почты) в соответствии с Федеральным законом № 152-ФЗ «О персональных данных» в целях создания и ведения учётной записи, подтверждения личности и предоставления услуг. Согласие действует до удаления учётной записи и может быть отозвано.
register-consent-label = Я прочитал(а) и даю согласие на обработку персональных данных
register-submit = Зарегистрироваться
register-confirm-title = Подтверждение телефона
register-code-sent = Если номер указан верно, на него отправлен код подтверждения. Он действует 5 минут.
register-code-label = Код из СМС
register-confirm-submit = Подтвердить
register-resend = Отправить код ещё раз
register-code-wrong = Неверный код. Осталось попыток: { $tries }
register-code-expired = Код устарел или не был запрошен. Запросите новый код.
register-code-exhausted = Попытки исчерпаны. Запросите новый код.
register-code-wait = Новый код можно будет запросить через { $seconds } с.
register-done-title = Учётная запись подтверждена
register-done-body = Телефон подтверждён, учётная запись активна (упрощённый уровень). Чтобы получить стандартную учётную запись, добавьте паспорт и СНИЛС в личном кабинете.

# Demo outbox
outbox-title = Отправленные сообщения (демо)
outbox-lead = В демонстрационном режиме письма и СМС не уходят наружу: они показаны здесь, новые сверху.
outbox-empty = Сообщений пока нет.
outbox-when = Время (UTC)
outbox-channel = Канал
outbox-to = Кому
outbox-message = Сообщение

# Sign-in
nav-login = Войти
nav-logout = Выйти
nav-cabinet = Личный кабинет
login-title = Вход
login-login = Телефон, почта или СНИЛС
login-login-hint = Например, +7 916 123-45-67 или 112-233-445 95
login-submit = Войти
login-no-account = Нет учётной записи?
login-login-required = Введите телефон, почту или СНИЛС
login-password-required = Введите пароль
login-wrong = Неверный логин или пароль
login-locked = Слишком много неудачных попыток входа. Повторите после { $time } (МСК).
login-blocked = Учётная запись заблокирована. Обратитесь в службу поддержки.

# Cabinet
cabinet-title = Личный кабинет
cabinet-overview = Обзор
cabinet-status = Состояние учётной записи
cabinet-trust = Уровень учётной записи
status-awaiting = ожидает подтверждения
status-active = действует
status-blocked = заблокирована
status-deleted = удалена
trust-none = не определён
trust-simplified = упрощённая
trust-standard = стандартная
trust-confirmed = подтверждённая
contact-confirmed = подтверждён
contact-unconfirmed = не подтверждён
sessions-title = Активные сеансы
sessions-lead = Устройства, на которых выполнен вход в вашу учётную запись. Если какое-то вам незнакомо, завершите его и смените пароль.
sessions-device = Устройство
sessions-ip = IP-адрес
sessions-since = Вход
sessions-last-seen = Последняя активность (МСК)
sessions-actions = Действия
sessions-this = этот сеанс
sessions-end = Завершить
sessions-end-others = Завершить все другие сеансы
sessions-ended-one = Сеанс завершён.
sessions-ended-others = Все другие сеансы завершены.
history-title = История входов
history-lead = Попытки входа за последние 90 дней, новые сверху. Время московское.
history-empty = Записей пока нет.
history-when = Время
history-result = Результат
history-success = успешный вход
history-wrong-password = неверный пароль
history-locked = вход заблокирован
history-factor-failed = неверный второй фактор
history-rate-limited = слишком много попыток
pager-label = Страницы
pager-prev = Назад
pager-next = Дальше
pager-page = Страница { $page }

# Second factor
factor-title = Подтверждение входа
factor-lead = Введите код из приложения-аутентификатора, один из резервных кодов или код из СМС.
factor-code = Код
factor-code-hint = 6 цифр из приложения или СМС, либо резервный код вида abcd-efgh
factor-code-required = Введите код
factor-code-wrong = Неверный или уже использованный код
factor-send-sms = Получить код по СМС
factor-sms-sent = Код отправлен на ваш подтверждённый телефон. Он действует 5 минут.
factor-no-phone = У учётной записи нет подтверждённого телефона. Используйте приложение или резервный код.
factor-app-code = Код из приложения
security-title = Безопасность
security-totp = Вход с кодом из приложения
security-totp-is-on = Второй фактор включён: при входе нужен код из приложения.
security-totp-is-off = Второй фактор выключен. Включите его, чтобы вход требовал не только пароль, но и код из приложения-аутентификатора (Яндекс Ключ, Google Authenticator и другие).
security-totp-enable = Включить
security-step-scan = Отсканируйте QR-код приложением-аутентификатором.
security-qr-label = QR-код для приложения-аутентификатора
security-step-key = Или введите ключ вручную:
security-step-code = Введите код, который покажет приложение.
security-totp-confirm = Подтвердить и включить
security-totp-on = Второй фактор включён.
security-totp-off = Второй фактор выключен.
security-totp-disable = Выключить второй фактор
security-wrong-password = Неверный пароль
security-backup-title = Резервные коды
security-backup-once = Сохраните эти коды в надёжном месте: они показаны один раз. Каждый код можно использовать для входа один раз, если под рукой нет приложения.
security-backup-left = Осталось резервных кодов: { $count }.
security-backup-new = Создать новые резервные коды
cabinet-snils = СНИЛС
cabinet-inn = ИНН

# Email confirmation
email-confirm-title = Подтверждение почты
email-confirm-lead = Нажмите кнопку, чтобы подтвердить адрес электронной почты.
email-confirm-submit = Подтвердить почту
email-sent = Мы отправили письмо со ссылкой для подтверждения. Откройте его и перейдите по ссылке — она действует 24 часа.
email-link-invalid = Ссылка недействительна: она устарела, уже использована или скопирована не полностью.

# Recovery and password change
recover-title = Восстановление доступа
recover-lead = Укажите подтверждённый телефон или почту вашей учётной записи. Мы пришлём код по СМС или ссылку на почту.
recover-login = Телефон или почта
recover-submit = Продолжить
recover-code-sent = Если номер привязан к учётной записи, на него отправлен код. Он действует 5 минут.
recover-email-sent = Если адрес привязан к учётной записи, на него отправлено письмо со ссылкой. Ссылка действует 30 минут.
recover-password-lead = Задайте новый пароль. После этого все сеансы будут завершены.
recover-new-password = Новый пароль
recover-proof = Подтвердите, что это вы
recover-proof-hint = У вас включён второй фактор: введите резервный код или серию и номер паспорта вместе со СНИЛС из профиля.
recover-proof-wrong = Резервный код или паспорт со СНИЛС не подходят
recover-save = Сохранить пароль
recover-again = Начать заново
login-forgot = Забыли пароль?
login-recovered = Пароль изменён. Войдите с новым паролем.
password-title = Смена пароля
password-current = Текущий пароль
password-submit = Сменить пароль
password-changed = Пароль изменён, другие сеансы завершены.

# Profile
profile-title = Личные данные
profile-person = О себе
profile-birth-date = Дата рождения
profile-birth-place = Место рождения
profile-gender = Пол
profile-female = женский
profile-male = мужской
profile-passport = Паспорт гражданина РФ
profile-passport-number = Серия и номер
profile-passport-number-hint = Например, 45 10 123456
profile-passport-issue-date = Дата выдачи
profile-passport-issuer = Кем выдан
profile-passport-division = Код подразделения
profile-passport-division-hint = Например, 772-001
profile-numbers = СНИЛС и ИНН
profile-snils-hint = 11 цифр, например 112-233-445 95
profile-inn-hint = 12 цифр
profile-address = Адрес регистрации
profile-address-line = Адрес
profile-postal-code = Индекс
profile-save = Сохранить
profile-saved = Данные сохранены.
profile-saved-check = Данные сохранены. Паспорт и СНИЛС будут проверены по государственным реестрам; после проверки учётная запись станет стандартной.
profile-identity-pending = Паспорт и СНИЛС ожидают проверки по государственным реестрам.
profile-identity-verified = Паспорт и СНИЛС проверены.
profile-identity-rejected = Проверка паспорта и СНИЛС не пройдена. Проверьте данные.

# Deletion
delete-title = Удаление учётной записи
delete-lead = Учётная запись будет удалена через 30 дней; до этого удаление можно отменить. Затем личные данные будут стёрты без возможности восстановления.
delete-submit = Удалить учётную запись
delete-scheduled = Учётная запись будет удалена { $time } (МСК).
delete-cancel = Отменить удаление
delete-cancelled = Удаление отменено.

# Contacts
contacts-title = Контакты
contacts-change = Изменить телефон или почту
contacts-new-phone = Новый мобильный телефон
contacts-new-email = Новая электронная почта
contacts-send-code = Получить код
contacts-send-link = Отправить ссылку
contacts-link-sent = Если адрес свободен, на него отправлена ссылка для подтверждения. Прежний адрес будет заменён после подтверждения.
contacts-phone-changed = Телефон заменён. На прежний номер отправлено уведомление.
contacts-taken = Этот контакт уже привязан к другой учётной записи.
recover-backup-code = Резервный код
recover-or = или
recover-passport = Серия и номер паспорта

# Identity check log (the standard level)
identity-log-title = Журнал проверки
identity-log-time = Время
identity-log-source = Реестр
identity-log-event = Событие
identity-next-try = Реестр временно недоступен. Следующая попытка — { $time } (МСК).
identity-reason = Причина: { $reason }
identity-registry-fns = ФНС
identity-registry-mvd = МВД
identity-registry-sfr = СФР
identity-registry-none = Пропуск
identity-msg-queued = Данные отправлены на проверку
identity-msg-passed = Данные подтверждены
identity-msg-unavailable = Реестр недоступен
identity-msg-retry = Проверка будет повторена автоматически
identity-msg-verified = Проверка пройдена: учётная запись стала стандартной
identity-msg-rejected = Проверка не пройдена
identity-msg-passport_not_found = Паспорт с такими серией и номером не выдавался
identity-msg-passport_invalid = Паспорт недействителен
identity-msg-passport_mismatch = Данные паспорта не совпадают с записью МВД
identity-msg-snils_not_found = СНИЛС не найден в СФР
identity-msg-snils_mismatch = СНИЛС принадлежит другому человеку или данные не совпадают
identity-msg-inn_mismatch = Указанный ИНН не совпадает с записью ФНС
identity-msg-check_refused = Реестр не смог проверить данные в таком виде
identity-msg-incomplete = Для проверки нужны дата рождения, паспорт и СНИЛС
identity-msg-registries_unavailable = Реестры были недоступны в течение суток; сохраните данные ещё раз, чтобы повторить проверку
identity-why-EXPIRED = истёк срок действия
identity-why-LOST = заявлен как утраченный
identity-why-REPLACED = заменён на новый
identity-field-lastName = фамилия
identity-field-firstName = имя
identity-field-middleName = отчество
identity-field-birthDate = дата рождения
identity-field-issueDate = дата выдачи
identity-field-gender = пол

# Sole proprietorships
business-title = Бизнес
business-none = Вы ещё не добавили индивидуальное предпринимательство.
business-add = Добавить ИП
business-ogrnip = ОГРНИП
business-ogrnip-hint = 15 цифр, из листа записи ЕГРИП
business-since = зарегистрирован
business-submit = Найти в ЕГРИП и добавить
business-added = ИП найден в ЕГРИП и добавлен.
business-needs-confirmed = Добавить ИП может только подтверждённая учётная запись.
