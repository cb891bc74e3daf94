"""The PII scan never reaches for the network: spaCy's model and the public-suffix list are local."""

from __future__ import annotations

import socket

import tldextract
import tldextract.tldextract as tldextract_module

from atlas_assets.checks.pii.engine import SPACY_MODEL, use_offline_suffix_list


def test_email_validation_uses_the_bundled_suffix_list_with_the_network_down(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled by this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # Start from tldextract's own default, which would fetch the list over HTTP.
    monkeypatch.setattr(tldextract_module, "TLD_EXTRACTOR", tldextract_module.TLDExtract(cache_dir=None))

    use_offline_suffix_list()
    result = tldextract.extract("mail.example.co.uk")

    assert result.suffix == "co.uk"
    assert attempts == []


def test_the_spacy_model_is_an_installed_package():
    import spacy

    assert spacy.util.is_package(SPACY_MODEL)
