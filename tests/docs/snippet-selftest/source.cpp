// Input of the docs.snippets_* self-tests (never compiled): a region the pages below quote.
int answer()
{
    //! [region]
    int value = 42; // changed after the page was written
    return value;
    //! [region]
}
