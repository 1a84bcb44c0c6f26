/** RFC 9110 token characters: what an HTTP header name may contain (Node throws on anything else). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
