package credential

// Placeholder is the value the stack stores in a secret it creates, so that
// the template never holds a credential. The function recognises it and tells
// the operator how to put the real one.
//
// It must never change: CloudFormation rewrites the secret's value whenever
// this property of the template changes, which would overwrite the credential
// an operator has put.
const Placeholder = "PLACEHOLDER: put the Qlik API key or OAuth client here (see the stack output PutCredentialCommand)"
