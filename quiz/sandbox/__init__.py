"""Running examples, contained: the client, the worker it talks to, and the capture inside."""
