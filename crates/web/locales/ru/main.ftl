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
