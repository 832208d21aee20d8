"""Signs gridbook commands with eth-account, an Ethereum library gridbook did not write.

Reads one JSON object on stdin: {"eip712": <the body of GET /v1/eip712>, "key": "0x…",
"commands": [<command objects>]} and prints one signature (0x + 130 hex digits) per command, one
per line. An object without "op" is a session request ({"owner","expires","nonce"}), signed as
the served "session" message. It knows nothing of gridbook but what /v1/eip712 serves: the message of a command is
the command object itself, with absent or null fields at their type's zero value.
"""
import json
import sys

from eth_account import Account
from eth_account.messages import encode_typed_data

ZERO = {"string": "", "address": "0x" + "00" * 20}


def zero_filled(value, type_name, types):
    """The command's value for a type, absent and null fields at their zero value."""
    if type_name.endswith("[]"):
        return [] if value is None else value
    if type_name in types:
        value = value or {}
        return {f["name"]: zero_filled(value.get(f["name"]), f["type"], types) for f in types[type_name]}
    if value is None:
        return ZERO.get(type_name, 0)
    return value


def main():
    request = json.load(sys.stdin)
    served = request["eip712"]
    for command in request["commands"]:
        message = served["messages"][command.get("op", "session")]
        primary, types = message["primaryType"], message["types"]
        typed = {
            "types": types,
            "primaryType": primary,
            "domain": served["domain"],
            "message": zero_filled(command, primary, types),
        }
        signed = Account.sign_message(encode_typed_data(full_message=typed), request["key"])
        print("0x" + bytes(signed.signature).hex())


main()
