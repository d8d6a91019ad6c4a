"""The dashboard's languages: English (the message ids themselves) and Ukrainian (the catalogue below).

A page's language is the user's profile `language`; signed out, the `tp_lang` cookie (the sign-in page's
switch), then the browser's Accept-Language. Messages take `%(name)s` arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

COOKIE = "tp_lang"
DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "uk": "Українська"}
ALIASES = {"ua": "uk"}
"""Codes people use for a language that are not its ISO 639-1 code."""

Translate = Callable[..., str]

UK: dict[str, str] = {
    # Navigation and frame
    "Overview": "Огляд",
    "Orders": "Ордери",
    "Venues": "Біржі",
    "Webhooks": "Вебхуки",
    "Settings": "Налаштування",
    "Admin": "Адміністрування",
    "Sign in": "Увійти",
    "Sign out": "Вийти",
    "Live updates": "Оновлення наживо",
    "Charts by": "Графіки:",
    "Error": "Помилка",
    "Not allowed": "Заборонено",
    "Not found": "Не знайдено",
    "Something went wrong": "Щось пішло не так",
    "The service is unavailable right now; try again in a moment.": "Сервіс зараз недоступний; спробуйте ще раз за мить.",
    "Back to the overview": "Назад до огляду",
    # Roles
    "admin": "адміністратор",
    "trader": "трейдер",
    "viewer": "спостерігач",
    # Sign in
    "Sign in to see your portfolio, orders and venues.": "Увійдіть, щоб бачити свій портфель, ордери та біржі.",
    "Email": "Електронна пошта",
    "Password": "Пароль",
    "Wrong email or password.": "Неправильна електронна пошта або пароль.",
    # Overview
    "Total value": "Загальна вартість",
    "Today's PnL": "Прибуток за сьогодні",
    "Net PnL": "Чистий прибуток",
    "Fees": "Комісії",
    "Equity curve": "Крива капіталу",
    "No equity history yet: it starts with your first venue account.": "Історії капіталу ще немає: вона почнеться з вашого першого рахунку на біржі.",
    "Positions": "Позиції",
    "No open positions.": "Відкритих позицій немає.",
    "Allocation": "Розподіл активів",
    "Nothing allocated yet.": "Активів ще немає.",
    "Some figures are unavailable right now.": "Деякі показники зараз недоступні.",
    "Entry": "Вхід",
    "Unrealized PnL": "Нереалізований прибуток",
    "long": "довга",
    "short": "коротка",
    # Kill switch
    "Kill switch": "Аварійна зупинка",
    "Global kill switch": "Глобальна аварійна зупинка",
    "Trading is halted for everyone by an admin.": "Адміністратор зупинив торгівлю для всіх.",
    "Trading is halted for everyone.": "Торгівлю зупинено для всіх.",
    "Trading is running for everyone.": "Торгівля працює для всіх.",
    "Your trading is halted.": "Вашу торгівлю зупинено.",
    "Your trading is running.": "Ваша торгівля працює.",
    "Halt all your trading now? Open orders are cancelled.": "Зупинити всю вашу торгівлю зараз? Відкриті ордери буде скасовано.",
    "Release the kill switch?": "Зняти аварійну зупинку?",
    "Release the kill switch": "Зняти аварійну зупинку",
    "Halt my trading": "Зупинити мою торгівлю",
    "Halt trading for every user now?": "Зупинити торгівлю для всіх користувачів зараз?",
    "Release the global kill switch?": "Зняти глобальну аварійну зупинку?",
    "Halt everyone": "Зупинити всіх",
    "Release for everyone": "Відновити для всіх",
    "I am sure": "Я впевнений",
    "Tick “I am sure” to confirm.": "Позначте «Я впевнений», щоб підтвердити.",
    "Reason": "Причина",
    "From the dashboard": "З панелі керування",
    # Orders
    "Place an order": "Розмістити ордер",
    "Place order": "Розмістити ордер",
    "Venue": "Біржа",
    "Symbol": "Інструмент",
    "Side": "Напрям",
    "Type": "Тип",
    "Quantity": "Кількість",
    "Price": "Ціна",
    "Stop price": "Стоп-ціна",
    "limit orders": "для лімітних ордерів",
    "stop orders": "для стоп-ордерів",
    "Connect a venue account first.": "Спершу підключіть рахунок на біржі.",
    "Status": "Статус",
    "All": "Усі",
    "Filter": "Фільтрувати",
    "Created": "Створено",
    "Filled": "Виконано",
    "Cancel": "Скасувати",
    "Cancel this order?": "Скасувати цей ордер?",
    "No orders.": "Ордерів немає.",
    "%(shown)s of %(total)s orders": "%(shown)s з %(total)s ордерів",
    "Order placed: %(side)s %(quantity)s %(symbol)s.": "Ордер розміщено: %(side)s %(quantity)s %(symbol)s.",
    "Cancelling: %(side)s %(quantity)s %(symbol)s.": "Скасовується: %(side)s %(quantity)s %(symbol)s.",
    "Buy": "Купівля",
    "Sell": "Продаж",
    "Market": "Ринковий",
    "Limit": "Лімітний",
    "Stop": "Стоп",
    "StopLimit": "Стоп-лімітний",
    "Pending": "Очікує",
    "Open": "Відкритий",
    "PartiallyFilled": "Частково виконаний",
    "Cancelled": "Скасований",
    "Rejected": "Відхилений",
    # Venues
    "Connect a paper account": "Підключити демо-рахунок",
    "A paper account trades on live prices with simulated money.": "Демо-рахунок торгує за реальними цінами віртуальними грошима.",
    "Label": "Назва",
    "Paper": "Демо",
    "Initial balances": "Початкові баланси",
    "Currency=amount, separated by commas": "Валюта=сума, через кому",
    "Connect": "Підключити",
    "Paper account connected.": "Демо-рахунок підключено.",
    "Your accounts": "Ваші рахунки",
    "No venue accounts yet.": "Рахунків на біржах ще немає.",
    "Currency": "Валюта",
    "Free": "Вільно",
    "Used": "Задіяно",
    "Total": "Усього",
    "Balances unavailable right now.": "Баланси зараз недоступні.",
    "active": "активний",
    # Webhooks
    "Signing secret": "Секрет для підпису",
    "Copy it now: it is shown only once.": "Скопіюйте його зараз: він показується лише один раз.",
    "Add an endpoint": "Додати адресу",
    "URL": "URL",
    "Events": "Події",
    "Add endpoint": "Додати адресу",
    "Endpoint added.": "Адресу додано.",
    "Endpoints": "Адреси",
    "State": "Стан",
    "enabled": "увімкнено",
    "disabled": "вимкнено",
    "Deliveries": "Доставки",
    "No endpoints yet.": "Адрес ще немає.",
    "No deliveries yet.": "Доставок ще немає.",
    "Event": "Подія",
    "Attempts": "Спроби",
    "Response": "Відповідь",
    "Latency": "Затримка",
    "trade_entry": "вхід в угоду",
    "trade_exit": "вихід з угоди",
    "order_rejected": "ордер відхилено",
    "order_cancelled": "ордер скасовано",
    "error": "помилка",
    "risk_state": "стан ризику",
    "killswitch": "аварійна зупинка",
    "user_disabled": "користувача вимкнено",
    "pending": "очікує",
    "succeeded": "доставлено",
    "failed": "не вдалося",
    "test": "тест",
    # Settings
    "Language": "Мова",
    "Save": "Зберегти",
    "Language saved.": "Мову збережено.",
    "Unknown language.": "Невідома мова.",
    "Trading state": "Стан торгівлі",
    "Trades today": "Угод сьогодні",
    "Drawdown": "Просідання",
    "Unavailable right now.": "Зараз недоступно.",
    "Active": "Активна",
    "Reducing": "Лише зменшення",
    "Halted": "Зупинена",
    "Risk limits": "Ліміти ризику",
    "Save limits": "Зберегти ліміти",
    "Risk limits saved.": "Ліміти ризику збережено.",
    "Largest position (% of equity)": "Найбільша позиція (% капіталу)",
    "Largest order (USD)": "Найбільший ордер (USD)",
    "Daily loss limit (USD)": "Денний ліміт збитку (USD)",
    "Daily loss limit (%)": "Денний ліміт збитку (%)",
    "Weekly loss limit (USD)": "Тижневий ліміт збитку (USD)",
    "Largest drawdown (%)": "Найбільше просідання (%)",
    "Trades per day": "Угод на день",
    "Circuit breaker: daily loss (%)": "Запобіжник: денний збиток (%)",
    "Orders per minute": "Ордерів на хвилину",
    # Admin
    "Users": "Користувачі",
    "Role": "Роль",
    "Change": "Змінити",
    "open": "відкритих",
    "Enable": "Увімкнути",
    "The user may trade again.": "Користувач знову може торгувати.",
    "%(email)s is now: %(role)s.": "%(email)s тепер: %(role)s.",
    "Audit log": "Журнал аудиту",
    "No audit entries.": "Записів аудиту немає.",
    "When": "Коли",
    "Actor": "Хто",
    "Action": "Дія",
    "Target": "Об'єкт",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "uk": UK}


def normalize(code: str | None) -> str | None:
    """`uk-UA` → `uk`, `ua` → `uk`; None for a language the dashboard does not speak."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    base = ALIASES.get(base, base)
    return base if base in LANGUAGES else None


def choose(profile: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The profile's language, else the cookie's, else the browser's first one spoken here, else English."""
    for code in (profile, cookie):
        if found := normalize(code):
            return found
    for part in (accept_language or "").split(","):
        if found := normalize(part.split(";")[0]):
            return found
    return DEFAULT


def translator(language: str) -> Translate:
    """`_("Orders")` in `language`; an unknown message stays English. Arguments fill `%(name)s`."""
    catalogue = CATALOGUES.get(language, {})

    def translate(message: str, **arguments: Any) -> str:
        text = catalogue.get(message, message)
        return text % arguments if arguments else text

    return translate
