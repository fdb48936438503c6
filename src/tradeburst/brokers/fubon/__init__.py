"""The Fubon Neo broker: `FubonBroker` over the `fubon_neo` SDK (`pip install
'tradeburst[fubon]'`), run in a worker process of its own; its login credentials, the
deadlines of its calls, the SDK seam tests use, and what the SDK costs (`bench fubon`)."""

from tradeburst.brokers.fubon._broker import DEFAULT_ANSWER_TIMEOUT_S, MAX_BATCH_ORDERS, FubonBroker
from tradeburst.brokers.fubon._costs import idle_cpu, order_costs
from tradeburst.brokers.fubon._credentials import (
    CredentialsError,
    FubonCredentials,
    load_credentials,
)
from tradeburst.brokers.fubon._deadlines import Deadlines
from tradeburst.brokers.fubon._sdk import (
    PRODUCTION_URL,
    SDK_FACTORY_ENV,
    TEST_URL,
    SdkFactory,
    StandinError,
    load_factory,
    real_sdk,
    sdk_factory_from_env,
)

__all__ = [
    "DEFAULT_ANSWER_TIMEOUT_S",
    "MAX_BATCH_ORDERS",
    "PRODUCTION_URL",
    "SDK_FACTORY_ENV",
    "TEST_URL",
    "CredentialsError",
    "Deadlines",
    "FubonBroker",
    "FubonCredentials",
    "SdkFactory",
    "StandinError",
    "idle_cpu",
    "load_credentials",
    "load_factory",
    "order_costs",
    "real_sdk",
    "sdk_factory_from_env",
]
