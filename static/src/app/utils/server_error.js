/** The message to show for a failed server call: the server's own (a UserError, translated
 * there) when it sent one, else the error's. */
export function serverErrorMessage(error) {
    return error.data?.message || error.message || String(error);
}
