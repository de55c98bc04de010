"""Slack handlers, one module per command group: ack, one service call, a builder's reply."""
