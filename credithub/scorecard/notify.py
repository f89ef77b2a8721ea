"""Tell people when a card is raised: e-mail (smtplib) and/or a webhook (JSON POST), per settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

import httpx

from credithub.errors import ConfigError
from credithub.scorecard.models import CardView
from credithub.settings import Settings

LEVEL_ZH = {"warning": "预警", "yellow": "黄牌", "red": "红牌"}


class Notifier(Protocol):
    name: str

    def send(self, card: CardView, title: str) -> None:
        """Deliver one card notice; raise on failure (the card stays un-notified and is retried)."""


def card_text(card: CardView, title: str) -> tuple[str, str]:
    subject = f"[CreditHub 电子监察] {title}（{card.department}）{LEVEL_ZH[card.level]}：{card.metric}"
    body = (
        f"部门：{title}（{card.department}）\n"
        f"级别：{LEVEL_ZH[card.level]}\n"
        f"指标：{card.metric}\n"
        f"原因：{card.reason}\n"
        f"亮牌时间：{card.raised_at:%Y-%m-%d %H:%M:%S} UTC\n"
        "请相关数据管理员尽快处理。\n"
    )
    return subject, body


class WebhookNotifier:
    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, card: CardView, title: str) -> None:
        subject, body = card_text(card, title)
        payload = {"event": "scorecard.card_raised", "title": title, "subject": subject, "text": body}
        payload["card"] = card.model_dump(mode="json")
        response = httpx.post(self.url, json=payload, timeout=self.timeout)
        response.raise_for_status()


class EmailNotifier:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not recipients:
            raise ConfigError("scorecard e-mail notifications need CREDITHUB_SCORECARD_MAIL_TO", field="scorecard_mail_to")
        self.host, self.port, self.sender, self.recipients = host, port, sender, recipients
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, card: CardView, title: str) -> None:
        subject, body = card_text(card, title)
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.username:
                smtp.starttls()
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)


def build_notifiers(settings: Settings) -> list[Notifier]:
    notifiers: list[Notifier] = []
    for channel in settings.scorecard_notify:
        if channel == "webhook":
            if not settings.scorecard_webhook_url:
                raise ConfigError(
                    "webhook notifications need CREDITHUB_SCORECARD_WEBHOOK_URL", field="scorecard_webhook_url"
                )
            notifiers.append(WebhookNotifier(settings.scorecard_webhook_url))
        elif channel == "email":
            notifiers.append(
                EmailNotifier(
                    settings.scorecard_smtp_host,
                    settings.scorecard_smtp_port,
                    settings.scorecard_mail_from,
                    settings.scorecard_mail_to,
                    settings.scorecard_smtp_username,
                    settings.scorecard_smtp_password.get_secret_value() if settings.scorecard_smtp_password else None,
                )
            )
    return notifiers
