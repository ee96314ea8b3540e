"""A stand-in for the start-up of the original whitepaper's Python function.

It does what that function does before its first useful request: import
boto3 and requests, create the Secrets Manager client, read the secret and
call the tenant once. BenchmarkPythonBaseline runs it against the same fakes
as the Go function and times it from process start. It prints "init" once
the imports and the client are ready (the end of a Python Lambda's init
phase) and "ready" after the secret read and the first tenant call.
"""

import json
import os

import boto3
import requests

client = boto3.client(
    "secretsmanager",
    region_name=os.environ["AWS_REGION"],
    # boto3 as packaged by Debian predates AWS_ENDPOINT_URL_SECRETS_MANAGER.
    endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"],
)
print("init", flush=True)

secret = json.loads(client.get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"])
response = requests.get(
    os.environ["TENANT_URL"] + "/api/v1/apps/" + os.environ["APP_ID"],
    headers={"Authorization": "Bearer " + secret["key"]},
    timeout=10,
)
response.raise_for_status()
print("ready", flush=True)
